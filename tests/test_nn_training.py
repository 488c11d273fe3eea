"""End to end: small synthetic tasks are learned to a stated held-out score within a fixed
budget of epochs (a few seconds here; timings belong in benchmarks/, not in tests)."""

import numpy as np

import nn


def train(model, loss_fn, x, y, epochs, lr, batch_size=32, seed=0):
    optimizer = nn.optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            optimizer.zero_grad()
            loss_fn(model(x[batch]), y[batch]).backward()
            optimizer.step()


def test_regression_from_r3_into_a_b_reaches_r2_of_0_95_on_held_out_data():
    # y = 50 + 20 tanh(x0 + x1 x2) + 5 sin(2 x2), a smooth non-linear function of x in R^3
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, size=(1000, 3))
    y = 50 + 20 * np.tanh(x[:, 0] + x[:, 1] * x[:, 2]) + 5 * np.sin(2 * x[:, 2])
    x_train, y_train, x_test, y_test = x[:800], y[:800], x[800:], y[800:]
    nn.manual_seed(0)
    head = nn.RegressionHead(32, low=y_train.min(), high=y_train.max())
    model = nn.Sequential(nn.MLP([3, 32, 32]), nn.ReLU(), head)

    train(model, nn.MSELoss(), x_train, y_train, epochs=60, lr=0.01)

    prediction = model(x_test).numpy()
    r2 = 1 - np.mean((prediction - y_test) ** 2) / np.var(y_test)
    assert prediction.shape == y_test.shape
    assert y_train.min() <= prediction.min() and prediction.max() <= y_train.max()
    assert r2 >= 0.95, r2


def test_classification_of_three_regions_reaches_accuracy_0_95_on_held_out_data():
    # class 0 inside the circle of radius 0.6, class 1 outside it on the right, 2 on the left
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, size=(1200, 2))
    labels = np.where(np.hypot(x[:, 0], x[:, 1]) < 0.6, 0, np.where(x[:, 0] > 0, 1, 2))
    x_train, y_train, x_test, y_test = x[:1000], labels[:1000], x[1000:], labels[1000:]
    nn.manual_seed(0)
    head = nn.ClassificationHead(32, 3)
    model = nn.Sequential(nn.MLP([2, 32, 32]), nn.ReLU(), head)

    train(model, nn.CrossEntropyLoss(), x_train, y_train, epochs=40, lr=0.01)

    features = model[0](x_test).relu()  # the head's input: what the MLP made of x
    accuracy = np.mean(head.predict(features) == y_test)
    assert accuracy >= 0.95, accuracy
