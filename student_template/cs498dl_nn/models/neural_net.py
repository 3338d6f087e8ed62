"""Neural network model."""

from typing import Sequence

import numpy as np


class NeuralNetwork:
    """A multi-layer fully-connected neural network. The net has an input
    dimension of N, a hidden layer dimension of H, and output dimension C.
    We train the network with a softmax loss function and L2 regularization
    on the weight matrices.

    The network uses a nonlinearity after each fully connected layer except
    for the last. The outputs of the last fully-connected layer are passed
    through a softmax, and become the scores for each class.

    Regularization convention: loss += reg * sum(W**2) over every weight matrix
    (biases are not regularized), so the gradient gains 2 * reg * W.
    """

    def __init__(
        self,
        input_size: int,
        hidden_sizes: Sequence[int],
        output_size: int,
        num_layers: int,
    ):
        """Initialize the model. Weights are initialized to small random values
        and biases are initialized to zero. Weights and biases are stored in
        the variable self.params, which is a dictionary with the following
        keys:

        W1: 1st layer weights; has shape (D, H_1)
        b1: 1st layer biases; has shape (H_1,)
        ...
        Wk: kth layer weights; has shape (H_{k-1}, C)
        bk: kth layer biases; has shape (C,)

        Parameters:
            input_size: The dimension D of the input data
            hidden_sizes: The number of neurons H in the hidden layers
            output_size: The number of classes C
            num_layers: Number of fully connected layers in the neural network
        """
        self.input_size = input_size
        self.hidden_sizes = hidden_sizes
        self.output_size = output_size
        self.num_layers = num_layers

        assert len(hidden_sizes) == (num_layers - 1)
        sizes = [input_size] + list(hidden_sizes) + [output_size]

        self.params = {}
        for i in range(1, num_layers + 1):
            self.params["W" + str(i)] = np.random.randn(
                sizes[i - 1], sizes[i]
            ) / np.sqrt(sizes[i - 1])
            self.params["b" + str(i)] = np.zeros(sizes[i])

        # Adam moment estimates, one per parameter, created on first use.
        self.m = {}
        self.v = {}

    def linear(self, W: np.ndarray, X: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Fully connected (linear) layer: X W + b."""
        raise NotImplementedError("TODO: write this part")

    def relu(self, X: np.ndarray) -> np.ndarray:
        """Rectified Linear Unit (ReLU)."""
        raise NotImplementedError("TODO: write this part")

    def relu_grad(self, X: np.ndarray) -> np.ndarray:
        """Gradient of ReLU with respect to its input X."""
        raise NotImplementedError("TODO: write this part")

    def softmax(self, X: np.ndarray) -> np.ndarray:
        """The softmax function, row by row, shifted by the row maximum for stability."""
        raise NotImplementedError("TODO: write this part")

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Compute the scores for each class for all of the data samples.

        Hint: this function is also used for prediction.

        Parameters:
            X: Input data of shape (N, D). Each X[i] is a training or
                testing sample

        Returns:
            Matrix of shape (N, C) where scores[i, c] is the score for class
                c on input X[i] outputted from the last layer of your network
        """
        self.outputs = {}
        raise NotImplementedError("TODO: write this part")

    def backward(self, y: np.ndarray, reg: float = 0.0) -> float:
        """Perform back-propagation and compute the gradients and losses.

        Note: both gradients and loss should include regularization.

        Parameters:
            y: Vector of training labels. y[i] is the label for X[i], and each
                y[i] is an integer in the range 0 <= y[i] < C
            reg: Regularization strength

        Returns:
            Total loss for this batch of training samples
        """
        self.gradients = {}
        raise NotImplementedError("TODO: write this part")

    def update(
        self,
        lr: float = 0.001,
        b1: float = 0.9,
        b2: float = 0.999,
        eps: float = 1e-8,
        opt: str = "SGD",
        t: int = 1,
    ):
        """Update the parameters of the model using the previously calculated
        gradients.

        Parameters:
            lr: Learning rate
            b1: beta 1 parameter (for Adam)
            b2: beta 2 parameter (for Adam)
            eps: epsilon to prevent division by zero (for Adam)
            opt: optimizer, either 'SGD' or 'Adam'
            t: the timestep used in Adam's bias correction
        """
        raise NotImplementedError("TODO: write this part")
