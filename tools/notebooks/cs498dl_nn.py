NOTEBOOK = "reference/cs498dl_nn/neural_network.ipynb"

SETUP = r'''
import random

import numpy as np
import matplotlib.pyplot as plt

from kaggle_submission import output_submission_csv
from models.neural_net import NeuralNetwork
from utils.data_process import get_CIFAR10_data

%matplotlib inline
plt.rcParams['figure.figsize'] = (10.0, 8.0)  # set default size of plots

# For auto-reloading external modules
# See http://stackoverflow.com/questions/1907993/autoreload-of-modules-in-ipython
%load_ext autoreload
%autoreload 2
'''

PARAMETERS = r'''
# You can change these numbers for experimentation
# For submission be sure they are set to the default values
TRAIN_IMAGES = 49000
VAL_IMAGES = 1000
TEST_IMAGES = 10000
CIFAR10_DIR = 'cifar10/cifar-10-batches-py'
EPOCH_BUDGET = 1.0   # the grader may lower this to shorten training
'''

LOAD = r'''
data = get_CIFAR10_data(TRAIN_IMAGES, VAL_IMAGES, TEST_IMAGES, cifar10_dir=CIFAR10_DIR)
X_train, y_train = data['X_train'], data['y_train']
X_val, y_val = data['X_val'], data['y_val']
X_test, y_test = data['X_test'], data['y_test']
print(X_train.shape, X_val.shape, X_test.shape)
'''

TRAIN = r'''
def train(opt, num_layers, hidden_size, epochs, batch_size, learning_rate,
          learning_rate_decay, regularization, b1=0.9, b2=0.999, eps=1e-8):
    """The training loop of the assignment: shuffled mini-batches, per-epoch decay."""
    input_size = 32 * 32 * 3
    hidden_sizes = [hidden_size] * (num_layers - 1)
    num_classes = 10
    net = NeuralNetwork(input_size, hidden_sizes, num_classes, num_layers)

    train_loss = np.zeros(epochs)
    train_accuracy = np.zeros(epochs)
    val_accuracy = np.zeros(epochs)
    learning_rates = np.zeros(epochs)

    for epoch in range(epochs):
        # Shuffle the dataset
        indices = np.random.permutation(len(X_train))
        # For each mini-batch...
        for batch in range(len(X_train) // batch_size):
            i = batch * batch_size
            X_batch = X_train[indices[i:i + batch_size], :]
            y_batch = y_train[indices[i:i + batch_size]]
            scores = net.forward(X_batch)
            train_accuracy[epoch] += (np.argmax(scores, axis=1) == y_batch).sum()
            train_loss[epoch] += net.backward(y_batch, regularization)
            net.update(learning_rate, b1, b2, eps, opt, epoch + 1)
        train_accuracy[epoch] /= len(X_train)
        val_accuracy[epoch] = (np.argmax(net.forward(X_val), axis=1) == y_val).mean()
        learning_rate *= learning_rate_decay
        learning_rates[epoch] = learning_rate
    return net, dict(train_loss=train_loss, train_accuracy=train_accuracy,
                     val_accuracy=val_accuracy, learning_rates=learning_rates)


def plot_history(history, title):
    plt.subplot(3, 1, 1)
    plt.plot(history['train_loss'])
    plt.title('Loss history (%s)' % title)
    plt.xlabel('Epoch')
    plt.ylabel('Loss')
    plt.subplot(3, 1, 2)
    plt.plot(history['train_accuracy'], label='train')
    plt.plot(history['val_accuracy'], label='val')
    plt.title('Classification accuracy history')
    plt.xlabel('Epoch')
    plt.ylabel('Classification accuracy')
    plt.legend()
    plt.subplot(3, 1, 3)
    plt.plot(history['learning_rates'])
    plt.title('Learning rate decay')
    plt.xlabel('Epoch')
    plt.ylabel('learning_rate')
    plt.tight_layout()
    plt.show()
'''

SGD = r'''
# *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
sgd_net, sgd_history = train(
    'SGD', num_layers=3, hidden_size=120, epochs=max(1, int(40 * EPOCH_BUDGET)),
    batch_size=200, learning_rate=0.05, learning_rate_decay=0.85, regularization=0.0004)
# *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
print(sgd_history['val_accuracy'])
plot_history(sgd_history, 'SGD')
'''

ADAM = r'''
# *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
adam_net, adam_history = train(
    'Adam', num_layers=3, hidden_size=120, epochs=max(1, int(40 * EPOCH_BUDGET)),
    batch_size=200, learning_rate=0.0003, learning_rate_decay=0.85,
    regularization=0.00001, b1=0.7, b2=0.79, eps=1e-8)
# *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
print(adam_history['val_accuracy'])
plot_history(adam_history, 'Adam')
'''

TEST = r'''
best_3layer_sgd_prediction = np.argmax(sgd_net.forward(X_test), axis=1)
best_3layer_adam_prediction = np.argmax(adam_net.forward(X_test), axis=1)
print('SGD test accuracy: ', (best_3layer_sgd_prediction == y_test).mean())
print('Adam test accuracy: ', (best_3layer_adam_prediction == y_test).mean())
'''

KAGGLE = r'''
output_submission_csv('./nn_3layer_sgd_submission.csv', best_3layer_sgd_prediction)
output_submission_csv('./nn_3layer_adam_submission.csv', best_3layer_adam_prediction)
'''

COMPARE = r'''
plt.subplot(3, 1, 1)
plt.plot(adam_history['train_accuracy'], label='adam')
plt.plot(sgd_history['train_accuracy'], label='sgd')
plt.title('Train Classification accuracy: adam vs sgd')
plt.xlabel('Epoch')
plt.ylabel('Classification accuracy')
plt.legend()
plt.subplot(3, 1, 2)
plt.plot(adam_history['val_accuracy'], label='adam')
plt.plot(sgd_history['val_accuracy'], label='sgd')
plt.title('Validation Classification accuracy: adam vs sgd')
plt.xlabel('Epoch')
plt.ylabel('Classification accuracy')
plt.legend()
plt.subplot(3, 1, 3)
plt.plot(adam_history['train_loss'], label='adam')
plt.plot(sgd_history['train_loss'], label='sgd')
plt.title('Train loss: adam vs sgd')
plt.xlabel('Epoch')
plt.ylabel('total loss')
plt.legend()
plt.tight_layout()
plt.show()
'''

CELLS = [
    ("md", "# CS498DL Assignment 2: Neural Network\nImplement `NeuralNetwork` in `models/neural_net.py` (forward, backward returning the loss, update with SGD and Adam), then train it on CIFAR-10.", ()),
    ("code", SETUP, ()),
    ("code", PARAMETERS, ("parameters",)),
    ("md", "## Loading CIFAR-10", ()),
    ("code", LOAD, ()),
    ("md", "## Train using SGD\nTo train our network we will use SGD. In addition, we will adjust the learning rate with an exponential learning rate schedule as optimization proceeds; after each epoch, we will reduce the learning rate by multiplying it by a decay rate.", ()),
    ("code", TRAIN, ()),
    ("code", SGD, ("solution",)),
    ("md", "## Train using Adam\nNext we will train the same model using the Adam optimizer (https://arxiv.org/pdf/1412.6980.pdf).", ()),
    ("code", ADAM, ("solution",)),
    ("md", "## Run on the test set", ()),
    ("code", TEST, ()),
    ("md", "## Kaggle output\nWrite your test set predictions in the format of the Kaggle competition (`id,category`).", ()),
    ("code", KAGGLE, ()),
    ("md", "## Compare 3 layer SGD and Adam", ()),
    ("code", COMPARE, ()),
]
