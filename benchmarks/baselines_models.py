"""The numpy baselines of workloads 9 to 11: a CNN, the makemore MLP and a GRU, by hand.

Each is the training step a careful numpy programmer writes for that one model, float32: the
forward, the backward written out for these layers only, and an in-place SGD update. What
makes them fast (measured in issue 11): im2col from one slice copy per kernel offset, col2im
over whole rows (one long run per kernel offset), pooling by strided `np.maximum` (rows
first), no reductions over short inner axes (sums as matrix-vector products with ones, the
row maximum over the transposed copy), the embedding gradient as a one-hot matrix product,
buffers allocated once and reused, and fusing what a graph keeps apart (ReLU's mask into the
pooling's gradient, the whole GRU cell).

Weights are arrays in torch's layout ((out, in) for a linear layer, (O, C, kh, kw) for a
convolution), updated in place; `loss_and_grads` returns the gradients in the same layout, so
`benchmarks.models` compares them with ours and torch's as they are.
"""

from __future__ import annotations

import numpy as np

Arrays = list[np.ndarray]


def sgd(params: Arrays, grads: Arrays, lr: float) -> None:
    """p -= lr * dp for each pair, in place (dp is scaled in place: it is ours to overwrite)."""
    for p, dp in zip(params, grads, strict=True):
        dp *= lr
        p -= dp


def cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """The mean of -log softmax(logits)[label] over the rows, and its gradient in place of the
    logits: d/dlogits = (softmax - onehot(label)) / n."""
    n = len(labels)
    rows = np.arange(n)
    logits -= np.ascontiguousarray(logits.T).max(axis=0)[:, None]  # 4x .max(axis=1)'s speed
    exp = np.exp(logits)
    total = exp @ np.ones(exp.shape[1], dtype=exp.dtype)
    loss = float(np.mean(np.log(total) - logits[rows, labels]))
    exp /= total[:, None]
    exp[rows, labels] -= 1
    exp /= n
    return loss, exp


def one_hot_rows(indices: np.ndarray, rows: int, dtype: np.dtype) -> np.ndarray:
    """(len(indices), rows), 1 at each index: one-hot.T @ g adds g's rows into the indexed
    rows (the embedding gradient), 3-5x faster than np.add.at."""
    table = np.zeros((len(indices), rows), dtype=dtype)
    table[np.arange(len(indices)), indices] = 1
    return table


# -- the CNN ---------------------------------------------------------------------------------
class NumpyCNN:
    """Conv2d(C, C1, 3) ReLU MaxPool2d(2) Conv2d(C1, C2, 3) ReLU MaxPool2d(2) Flatten Linear.

    `params` = [W1, b1, W2, b2, W3, b3]. Buffers for one input shape are allocated on the
    first step and reused: the column matrices, the convolutions' outputs (ReLU in place), the
    poolings' outputs and the gradients' images.
    """

    def __init__(self, params: Arrays) -> None:
        self.params = params
        self.shape: tuple[int, ...] | None = None

    def allocate(self, shape: tuple[int, ...]) -> None:
        """The buffers for inputs of `shape`."""
        n, c, h, w = shape
        (c1, c2), dtype = (self.params[0].shape[0], self.params[2].shape[0]), self.params[0].dtype
        h1, w1 = h - 2, w - 2  # conv 1's output; pool 1's is (h1 // 2, w1 // 2)
        h2, w2 = h1 // 2 - 2, w1 // 2 - 2  # conv 2's output
        self.cols1 = np.empty((n, 9, c, h1, w1), dtype)
        self.cols2 = np.empty((n, 9, c1, h2, w2), dtype)
        self.act1 = np.empty((n, c1, h1, w1), dtype)
        self.act2 = np.empty((n, c2, h2, w2), dtype)
        self.pool1 = np.empty((n, c1, h1 // 2, w1 // 2), dtype)
        self.pool2 = np.empty((n, c2, h2 // 2, w2 // 2), dtype)
        # the images of the gradients; where no pooling window reaches (an odd size's last
        # row and column) they stay 0 from here on
        self.grad_act1 = np.zeros_like(self.act1)
        self.grad_act2 = np.zeros_like(self.act2)
        self.grad_pool1 = np.empty_like(self.pool1)
        self.ones = {size: np.ones(size, dtype) for size in (n, h1 * w1, h2 * w2)}
        self.row_pairs = {act.shape: np.empty((*pool.shape[:3], 2 * pool.shape[3]), dtype)
                          for act, pool in ((self.act1, self.pool1), (self.act2, self.pool2))}
        # dy over whole rows for conv 2's input gradient (see `conv_backward`); its last
        # columns stay 0
        self.wide_grad2 = np.zeros((n, c2, h2, w1 // 2), dtype)
        self.wide_cols2 = np.empty((n, 9 * c1, h2 * (w1 // 2)), dtype)
        self.shape = shape

    def conv_relu(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray, cols: np.ndarray,
                  out: np.ndarray) -> None:
        """out = relu(W @ im2col(x) + b), with im2col by 9 slice copies, kernel-offset-major."""
        n, _, oh, ow = out.shape
        for k in range(9):
            i, j = divmod(k, 3)
            cols[:, k] = x[:, :, i:i + oh, j:j + ow]
        matrix = weight.transpose(0, 2, 3, 1).reshape(len(weight), -1)  # rows in cols' order
        flat = out.reshape(n, len(weight), oh * ow)
        np.matmul(matrix, cols.reshape(n, -1, oh * ow), out=flat)
        flat += bias[:, None]
        np.maximum(flat, 0, out=flat)

    def pool(self, act: np.ndarray, out: np.ndarray) -> None:
        """2 x 2 max pooling by strided np.maximum, over row pairs first (whole rows: long runs)
        then over column pairs (an odd last row or column is dropped)."""
        ph, pw = out.shape[2:]
        rows = self.row_pairs[act.shape]
        np.maximum(act[:, :, 0:2 * ph:2, :2 * pw], act[:, :, 1:2 * ph:2, :2 * pw], out=rows)
        np.maximum(rows[..., 0::2], rows[..., 1::2], out=out)

    @staticmethod
    def pool_relu_backward(act: np.ndarray, pooled: np.ndarray, g: np.ndarray,
                           out: np.ndarray) -> None:
        """Through the pooling and the ReLU before it, into out: each window's g goes to its
        first maximum, and only where that maximum is > 0 (else ReLU's derivative is 0)."""
        ph, pw = pooled.shape[2:]
        g = g * (pooled > 0)
        unclaimed = np.ones(pooled.shape, dtype=bool)
        for k in range(4):
            i, j = divmod(k, 2)
            view = act[:, :, i:2 * ph:2, j:2 * pw:2]
            chosen = unclaimed if k == 3 else (view == pooled) & unclaimed
            if k < 3:
                unclaimed ^= chosen
            np.multiply(g, chosen, out=out[:, :, i:2 * ph:2, j:2 * pw:2])

    def conv_backward(self, g: np.ndarray, weight: np.ndarray, cols: np.ndarray,
                      input_grad: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """dW and db of a convolution from its output's gradient g (N, O, oh, ow); with
        `input_grad`, also d/dx into it: col2im of W^T g over whole rows (g widened to the
        input's width with zeros: each kernel offset's share is then one run of oh W)."""
        n, o, oh, ow = g.shape
        flat = g.reshape(n, o, oh * ow)
        per_image = np.matmul(flat, cols.reshape(n, -1, oh * ow).transpose(0, 2, 1))
        grad_w = self.ones[n] @ per_image.reshape(n, -1)
        grad_w = grad_w.reshape(o, 3, 3, -1).transpose(0, 3, 1, 2).copy()
        grad_b = self.ones[n] @ (flat @ self.ones[oh * ow])
        if input_grad is not None:
            wide, dcols = self.wide_grad2, self.wide_cols2
            width = wide.shape[3]
            wide[..., :ow] = g
            matrix = weight.transpose(0, 2, 3, 1).reshape(o, -1)
            np.matmul(matrix.T, wide.reshape(n, o, -1), out=dcols)
            dcols = dcols.reshape(n, 9, -1, oh * width)
            image = input_grad.reshape(n, -1, input_grad[0, 0].size)
            image[...] = 0
            for k in range(9):
                start = (k // 3) * width + k % 3
                length = min(oh * width, image.shape[2] - start)
                image[..., start:start + length] += dcols[:, k, :, :length]
        return grad_w, grad_b

    def loss_and_grads(self, x: np.ndarray, labels: np.ndarray) -> tuple[float, Arrays]:
        if self.shape != x.shape:
            self.allocate(x.shape)
        w1, b1, w2, b2, w3, b3 = self.params
        n = len(x)
        self.conv_relu(x, w1, b1, self.cols1, self.act1)
        self.pool(self.act1, self.pool1)
        self.conv_relu(self.pool1, w2, b2, self.cols2, self.act2)
        self.pool(self.act2, self.pool2)
        flat = self.pool2.reshape(n, -1)
        logits = flat @ w3.T
        logits += b3
        loss, g = cross_entropy(logits, labels)

        grad_w3, grad_b3 = g.T @ flat, self.ones[n] @ g
        g_pool2 = (g @ w3).reshape(self.pool2.shape)
        self.pool_relu_backward(self.act2, self.pool2, g_pool2, self.grad_act2)
        grad_w2, grad_b2 = self.conv_backward(self.grad_act2, w2, self.cols2, self.grad_pool1)
        self.pool_relu_backward(self.act1, self.pool1, self.grad_pool1, self.grad_act1)
        grad_w1, grad_b1 = self.conv_backward(self.grad_act1, w1, self.cols1, None)
        return loss, [grad_w1, grad_b1, grad_w2, grad_b2, grad_w3, grad_b3]

    def train_step(self, x: np.ndarray, labels: np.ndarray, lr: float) -> float:
        loss, grads = self.loss_and_grads(x, labels)
        sgd(self.params, grads, lr)
        return loss


# -- the makemore MLP ------------------------------------------------------------------------
class NumpyMakemore:
    """Embedding(V, D) of `context` characters, Linear(context D, H), tanh, Linear(H, V).

    `params` = [C, W1, b1, W2, b2]; the step's input is (N, context) character indices.
    """

    def __init__(self, params: Arrays) -> None:
        self.params = params

    def loss_and_grads(self, indices: np.ndarray, labels: np.ndarray) -> tuple[float, Arrays]:
        table, w1, b1, w2, b2 = self.params
        n = len(indices)
        ones = np.ones(n, dtype=table.dtype)
        emb = table[indices].reshape(n, -1)
        hidden = emb @ w1.T
        hidden += b1
        np.tanh(hidden, out=hidden)
        logits = hidden @ w2.T
        logits += b2
        loss, g = cross_entropy(logits, labels)

        grad_w2, grad_b2 = g.T @ hidden, ones @ g
        g_hidden = g @ w2
        hidden *= hidden  # d tanh = 1 - tanh**2
        np.subtract(1, hidden, out=hidden)
        g_hidden *= hidden
        grad_w1, grad_b1 = g_hidden.T @ emb, ones @ g_hidden
        g_emb = (g_hidden @ w1).reshape(-1, table.shape[1])
        grad_table = one_hot_rows(indices.reshape(-1), len(table), table.dtype).T @ g_emb
        return loss, [grad_table, grad_w1, grad_b1, grad_w2, grad_b2]

    def train_step(self, indices: np.ndarray, labels: np.ndarray, lr: float) -> float:
        loss, grads = self.loss_and_grads(indices, labels)
        sgd(self.params, grads, lr)
        return loss


# -- the GRU ---------------------------------------------------------------------------------
def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e**-x), in place (the arguments here are small: e**-x cannot overflow)."""
    np.negative(x, out=x)
    np.exp(x, out=x)
    x += 1
    return np.reciprocal(x, out=x)


class NumpyGRU:
    """Embedding(V, I), a one-layer GRU(I, H) from h0 = 0, Linear(H, V) at every step.

    torch's GRU (gates in the order r, z, n):
        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr),  z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r (W_hn h + b_hn)),  h' = (1 - z) n + z h
    `params` = [E, W_ih, W_hh, b_ih, b_hh, W_out, b_out]; the step's input is (N, T) indices
    and its labels (N, T). The input projections of all steps are one matrix product, and so
    are the weights' gradients after the backward loop, from the gates kept per step.
    """

    def __init__(self, params: Arrays) -> None:
        self.params = params

    def loss_and_grads(self, indices: np.ndarray, labels: np.ndarray) -> tuple[float, Arrays]:
        table, w_ih, w_hh, b_ih, b_hh, w_out, b_out = self.params
        n, steps = indices.shape
        hidden = w_hh.shape[1]
        time_major = indices.T.reshape(-1)  # row t * n + b: step t of sequence b
        x = table[time_major]  # (T N, I)
        gates_x = (x @ w_ih.T + b_ih).reshape(steps, n, 3 * hidden)
        h = np.zeros((steps + 1, n, hidden), dtype=table.dtype)  # h[t]: the state before step t
        rz = np.empty((steps, n, 2 * hidden), dtype=table.dtype)
        new = np.empty((steps, n, hidden), dtype=table.dtype)
        hn = np.empty((steps, n, hidden), dtype=table.dtype)  # W_hn h + b_hn
        for t in range(steps):
            gates_h = h[t] @ w_hh.T
            gates_h += b_hh
            np.add(gates_x[t, :, :2 * hidden], gates_h[:, :2 * hidden], out=rz[t])
            sigmoid(rz[t])
            hn[t] = gates_h[:, 2 * hidden:]
            np.multiply(rz[t, :, :hidden], hn[t], out=new[t])
            new[t] += gates_x[t, :, 2 * hidden:]
            np.tanh(new[t], out=new[t])
            np.subtract(h[t], new[t], out=h[t + 1])  # h' = n + z (h - n)
            h[t + 1] *= rz[t, :, hidden:]
            h[t + 1] += new[t]
        outputs = h[1:].reshape(steps * n, hidden)
        logits = outputs @ w_out.T
        logits += b_out
        loss, g = cross_entropy(logits, labels.T.reshape(-1))

        ones = np.ones(steps * n, dtype=table.dtype)
        grad_w_out, grad_b_out = g.T @ outputs, ones @ g
        g_out = (g @ w_out).reshape(steps, n, hidden)
        g_gates_x = np.empty((steps, n, 3 * hidden), dtype=table.dtype)
        g_gates_h = np.empty((steps, n, 3 * hidden), dtype=table.dtype)
        g_h = np.zeros((n, hidden), dtype=table.dtype)
        for t in reversed(range(steps)):
            g_h += g_out[t]
            r, z = rz[t, :, :hidden], rz[t, :, hidden:]
            # d/dz = g (h - n), d/dn = g (1 - z), d/dh (direct) = g z
            g_z = g_h * (h[t] - new[t])
            g_n = g_h - g_h * z
            g_n *= 1 - new[t] * new[t]  # through tanh: d/d(pre-activation of n)
            g_gates_x[t, :, 2 * hidden:] = g_n
            np.multiply(g_n, r, out=g_gates_h[t, :, 2 * hidden:])
            g_r = g_n * hn[t]
            g_r *= r * (1 - r)  # through the sigmoids
            g_z *= z * (1 - z)
            g_gates_h[t, :, :hidden] = g_r
            g_gates_h[t, :, hidden:2 * hidden] = g_z
            g_gates_x[t, :, :2 * hidden] = g_gates_h[t, :, :2 * hidden]
            g_h *= z
            g_h += g_gates_h[t] @ w_hh
        g_gates_x = g_gates_x.reshape(steps * n, 3 * hidden)
        g_gates_h = g_gates_h.reshape(steps * n, 3 * hidden)
        grad_w_ih, grad_b_ih = g_gates_x.T @ x, ones @ g_gates_x
        grad_w_hh, grad_b_hh = g_gates_h.T @ h[:-1].reshape(-1, hidden), ones @ g_gates_h
        g_x = g_gates_x @ w_ih
        grad_table = one_hot_rows(time_major, len(table), table.dtype).T @ g_x
        return loss, [grad_table, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh, grad_w_out,
                      grad_b_out]

    def train_step(self, indices: np.ndarray, labels: np.ndarray, lr: float) -> float:
        loss, grads = self.loss_and_grads(indices, labels)
        sgd(self.params, grads, lr)
        return loss
