NOTEBOOK = "reference/two_layer_net/two_layer_net.ipynb"

SETUP = r'''
# A bit of setup
from __future__ import print_function

import numpy as np
import matplotlib.pyplot as plt

from cs231n.classifiers.neural_net import TwoLayerNet

%matplotlib inline
plt.rcParams['figure.figsize'] = (10.0, 8.0) # set default size of plots
plt.rcParams['image.interpolation'] = 'nearest'
plt.rcParams['image.cmap'] = 'gray'

# for auto-reloading external modules
# see http://stackoverflow.com/questions/1907993/autoreload-of-modules-in-ipython
%load_ext autoreload
%autoreload 2

def rel_error(x, y):
    """ returns relative error """
    return np.max(np.abs(x - y) / (np.maximum(1e-8, np.abs(x) + np.abs(y))))
'''

PARAMETERS = r'''
# Where the data is and how much of it to use. Keep the defaults when you submit;
# the grader may override these values (for example to run on a smaller dataset).
CIFAR10_DIR = 'cs231n/datasets/cifar-10-batches-py'
NUM_TRAINING = 49000
NUM_VALIDATION = 1000
NUM_TEST = 1000
ITERATION_BUDGET = 1.0   # fraction of the training iterations below
'''

TOY = r'''
# Create a small net and some toy data to check your implementations.
# Note that we set the random seed for repeatable experiments.

input_size = 4
hidden_size = 10
num_classes = 3
num_inputs = 5

def init_toy_model():
    np.random.seed(0)
    return TwoLayerNet(input_size, hidden_size, num_classes, std=1e-1)

def init_toy_data():
    np.random.seed(1)
    X = 10 * np.random.randn(num_inputs, input_size)
    y = np.array([0, 1, 2, 2, 1])
    return X, y

net = init_toy_model()
X, y = init_toy_data()
'''

SCORES = r'''
scores = net.loss(X)
print('Your scores:')
print(scores)
print()
print('correct scores:')
correct_scores = np.asarray([
  [-0.81233741, -1.27654624, -0.70335995],
  [-0.17129677, -1.18803311, -0.47310444],
  [-0.51590475, -1.01354314, -0.8504215 ],
  [-0.15419291, -0.48629638, -0.52901952],
  [-0.00618733, -0.12435261, -0.15226949]])
print(correct_scores)
print()

# The difference should be very small. We get < 1e-7
print('Difference between your scores and correct scores:')
print(np.sum(np.abs(scores - correct_scores)))
'''

LOSS = r'''
loss, _ = net.loss(X, y, reg=0.05)
correct_loss = 1.30378789133

# should be very small, we get < 1e-12
print('Difference between your loss and correct loss:')
print(np.sum(np.abs(loss - correct_loss)))
'''

GRADCHECK = r'''
from cs231n.gradient_check import eval_numerical_gradient

# Use numeric gradient checking to check your implementation of the backward pass.
# If your implementation is correct, the difference between the numeric and
# analytic gradients should be less than 1e-8 for each of W1, W2, b1, and b2.

loss, grads = net.loss(X, y, reg=0.05)

# these should all be less than 1e-8 or so
for param_name in grads:
    f = lambda W: net.loss(X, y, reg=0.05)[0]
    param_grad_num = eval_numerical_gradient(f, net.params[param_name], verbose=False)
    print('%s max relative error: %e' % (param_name, rel_error(param_grad_num, grads[param_name])))
'''

TOY_TRAIN = r'''
net = init_toy_model()
stats = net.train(X, y, X, y,
            learning_rate=1e-1, reg=5e-6,
            num_iters=100, verbose=True)

print('Final training loss: ', stats['loss_history'][-1])

# plot the loss history
plt.plot(stats['loss_history'])
plt.xlabel('iteration')
plt.ylabel('training loss')
plt.title('Training Loss history')
plt.show()
'''

LOAD = r'''
from cs231n.data_utils import load_CIFAR10

def get_CIFAR10_data(num_training=NUM_TRAINING, num_validation=NUM_VALIDATION, num_test=NUM_TEST):
    """
    Load the CIFAR-10 dataset from disk and perform preprocessing to prepare
    it for the two-layer neural net classifier. These are the same steps as
    we used for the SVM, but condensed to a single function.
    """
    # Load the raw CIFAR-10 data
    X_train, y_train, X_test, y_test = load_CIFAR10(CIFAR10_DIR)

    # Visualize some examples from the dataset.
    # We show a few examples of training images from each class.
    classes = ['plane', 'car', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']
    samples_per_class = 7
    for cls_index, cls in enumerate(classes):
        idxs = np.flatnonzero(y_train == cls_index)
        idxs = np.random.choice(idxs, samples_per_class, replace=False)
        for i, idx in enumerate(idxs):
            plt_idx = i * len(classes) + cls_index + 1
            plt.subplot(samples_per_class, len(classes), plt_idx)
            plt.imshow(X_train[idx].astype('uint8'))
            plt.axis('off')
            if i == 0:
                plt.title(cls)
    plt.show()

    # Subsample the data
    mask = list(range(num_training, num_training + num_validation))
    X_val = X_train[mask]
    y_val = y_train[mask]
    mask = list(range(num_training))
    X_train = X_train[mask]
    y_train = y_train[mask]
    mask = list(range(num_test))
    X_test = X_test[mask]
    y_test = y_test[mask]

    # Normalize the data: subtract the mean image
    mean_image = np.mean(X_train, axis=0)
    X_train -= mean_image
    X_val -= mean_image
    X_test -= mean_image

    # Reshape data to rows
    X_train = X_train.reshape(num_training, -1)
    X_val = X_val.reshape(num_validation, -1)
    X_test = X_test.reshape(num_test, -1)

    return X_train, y_train, X_val, y_val, X_test, y_test


# Invoke the above function to get our data.
X_train, y_train, X_val, y_val, X_test, y_test = get_CIFAR10_data()
print('Train data shape: ', X_train.shape)
print('Train labels shape: ', y_train.shape)
print('Validation data shape: ', X_val.shape)
print('Validation labels shape: ', y_val.shape)
print('Test data shape: ', X_test.shape)
print('Test labels shape: ', y_test.shape)
'''

TRAIN = r'''
input_size = 32 * 32 * 3
hidden_size = 50
num_classes = 10
net = TwoLayerNet(input_size, hidden_size, num_classes)

# Train the network
stats = net.train(X_train, y_train, X_val, y_val,
            num_iters=int(1000 * ITERATION_BUDGET), batch_size=200,
            learning_rate=1e-4, learning_rate_decay=0.95,
            reg=0.25, verbose=True)

# Predict on the validation set
val_acc = (net.predict(X_val) == y_val).mean()
print('Validation accuracy: ', val_acc)
'''

PLOT_STATS = r'''
# Plot the loss function and train / validation accuracies
def plot_stats(stats):
    plt.subplot(2, 1, 1)
    plt.plot(stats['loss_history'])
    plt.title('Loss history')
    plt.xlabel('Iteration')
    plt.ylabel('Loss')

    plt.subplot(2, 1, 2)
    plt.plot(stats['train_acc_history'], label='train')
    plt.plot(stats['val_acc_history'], label='val')
    plt.title('Classification accuracy history')
    plt.xlabel('Epoch')
    plt.ylabel('Classification accuracy')
    plt.legend()
    plt.tight_layout()
    plt.show()

plot_stats(stats)
print(stats['train_acc_history'])
print(stats['val_acc_history'])
'''

WEIGHTS = r'''
from cs231n.vis_utils import visualize_grid

# Visualize the weights of the network

def show_net_weights(net):
    W1 = net.params['W1']
    W1 = W1.reshape(32, 32, 3, -1).transpose(3, 0, 1, 2)
    plt.imshow(visualize_grid(W1, padding=3).astype('uint8'))
    plt.gca().axis('off')
    plt.show()

show_net_weights(net)
'''

TUNE = r'''
best_net = None # store the best model into this
best_stats = None

#################################################################################
# TODO: Tune hyperparameters using the validation set. Store your best trained  #
# model in best_net.                                                            #
#################################################################################
# *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
best_val = -1
results = {}
for hidden_size in [150]:
    for lr in [1e-3]:
        for reg in [0.3]:
            net = TwoLayerNet(input_size, hidden_size, num_classes)
            stats = net.train(X_train, y_train, X_val, y_val,
                              num_iters=int(3000 * ITERATION_BUDGET), batch_size=200,
                              learning_rate=lr, learning_rate_decay=0.95,
                              reg=reg, verbose=False)
            train_acc = (net.predict(X_train) == y_train).mean()
            val_acc = (net.predict(X_val) == y_val).mean()
            results[(hidden_size, lr, reg)] = (train_acc, val_acc)
            if val_acc > best_val:
                best_val, best_net, best_stats = val_acc, net, stats

for (hidden_size, lr, reg), (train_acc, val_acc) in sorted(results.items()):
    print('h %d lr %e reg %e train accuracy: %f val accuracy: %f' % (
        hidden_size, lr, reg, train_acc, val_acc))
print('best validation accuracy achieved during cross-validation: %f' % best_val)
plot_stats(best_stats)
# *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
'''

CELLS = [
    ("md", "# Implementing a Neural Network\nIn this exercise we will develop a neural network with fully-connected layers to perform classification, and test it out on the CIFAR-10 dataset.", ()),
    ("code", SETUP, ()),
    ("code", PARAMETERS, ("parameters",)),
    ("md", "We will use the class `TwoLayerNet` in the file `cs231n/classifiers/neural_net.py` to represent instances of our network. The network parameters are stored in the instance variable `self.params` where keys are string parameter names and values are numpy arrays. Below, we initialize toy data and a toy model that we will use to develop your implementation.", ()),
    ("code", TOY, ()),
    ("md", "# Forward pass: compute scores\nOpen the file `cs231n/classifiers/neural_net.py` and look at the method `TwoLayerNet.loss`. Implement the first part of the forward pass which uses the weights and biases to compute the scores for all inputs.", ()),
    ("code", SCORES, ()),
    ("md", "# Forward pass: compute loss\nIn the same function, implement the second part that computes the data and regularization loss. The regularization loss is `reg * (sum(W1**2) + sum(W2**2))`.", ()),
    ("code", LOSS, ()),
    ("md", "# Backward pass\nImplement the rest of the function. This will compute the gradient of the loss with respect to the variables `W1`, `b1`, `W2`, and `b2`. Debug your backward pass using a numeric gradient check:", ()),
    ("code", GRADCHECK, ()),
    ("md", "# Train the network\nLook at the function `TwoLayerNet.train` and fill in the missing sections to implement the training procedure, and `TwoLayerNet.predict`. Train a two-layer network on toy data: you should achieve a training loss less than 0.02.", ()),
    ("code", TOY_TRAIN, ()),
    ("md", "# Load the data\nNow that you have implemented a two-layer network that passes gradient checks and works on toy data, it's time to load up our favorite CIFAR-10 data so we can use it to train a classifier on a real dataset.", ()),
    ("code", LOAD, ()),
    ("md", "# Train a network\nTo train our network we will use SGD. In addition, we will adjust the learning rate with an exponential learning rate schedule as optimization proceeds; after each epoch, we will reduce the learning rate by multiplying it by a decay rate.", ()),
    ("code", TRAIN, ()),
    ("md", "# Debug the training\nWith the default parameters we provided above, you should get a validation accuracy of about 0.29 on the validation set. This isn't very good. Plot the loss function and the accuracies on the training and validation sets during optimization, and visualize the weights that were learned in the first layer of the network.", ()),
    ("code", PLOT_STATS, ()),
    ("code", WEIGHTS, ()),
    ("md", "# Tune your hyperparameters\nExperiment with different values of the hyperparameters, including hidden layer size, learning rate, number of training epochs, and regularization strength. You should aim to achieve a classification accuracy of greater than 48% on the validation set.\n\n**Explain your hyperparameter tuning process below.**\n\n$\\color{blue}{\\textit Your Answer:}$ The default net underfits: the loss falls almost linearly and train and validation accuracy are equal. We raised the learning rate tenfold, tripled the hidden layer and trained three times longer, keeping regularization near the default.", ()),
    ("code", TUNE, ("solution",)),
    ("code", "# visualize the weights of the best network\nshow_net_weights(best_net)", ()),
    ("md", "# Run on the test set\nWhen you are done experimenting, you should evaluate your final trained network on the test set; you should get above 48%.", ()),
    ("code", "test_acc = (best_net.predict(X_test) == y_test).mean()\nprint('Test accuracy: ', test_acc)", ()),
    ("md", "**Inline Question**\n\nNow that you have trained a Neural Network classifier, you may find that your testing accuracy is much lower than the training accuracy. In what ways can we decrease this gap? Select all that apply.\n\n1. Train on a larger dataset.\n2. Add more hidden units.\n3. Increase the regularization strength.\n4. None of the above.\n\n$\\color{blue}{\\textit Your Answer:}$ 1, 3\n\n$\\color{blue}{\\textit Your Explanation:}$ More data and stronger regularization both reduce overfitting; more hidden units add capacity and usually widen the gap.", ("inline-answer",)),
]
