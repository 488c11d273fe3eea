"""nn.data: TensorDataset and DataLoader (batches, len, shuffling per epoch, seeds), and the
same batches as torch's DataLoader."""

import collections

import numpy as np
import pytest

import autograd as ag
import nn
from nn.data import DataLoader, TensorDataset

X = np.arange(20.0).reshape(10, 2)  # sample i is the row [2i, 2i + 1]
Y = np.arange(10)


def epoch(loader) -> list[tuple[np.ndarray, ...]]:
    return list(loader)


def sample_order(loader) -> np.ndarray:
    """The labels of one epoch, concatenated: Y[i] = i gives the order of the samples."""
    return np.concatenate([y for _, y in loader])


# -- TensorDataset -----------------------------------------------------------------------------
def test_tensor_dataset_item_is_a_tuple_of_rows():
    dataset = TensorDataset(X, Y)
    item = dataset[3]
    assert isinstance(item, tuple)
    np.testing.assert_array_equal(item[0], [6.0, 7.0])
    assert item[1] == 3


def test_tensor_dataset_len_is_the_number_of_samples():
    assert len(TensorDataset(X, Y)) == 10


def test_tensor_dataset_takes_values_lists_and_arrays():
    dataset = TensorDataset(ag.Value(X), [[1], [2], [3], [4], [5], [6], [7], [8], [9], [10]], Y)
    assert all(isinstance(a, np.ndarray) for a in dataset.arrays)
    np.testing.assert_array_equal(dataset.arrays[0], X)
    np.testing.assert_array_equal(dataset[9][1], [10])


def test_tensor_dataset_with_unequal_lengths_names_them():
    with pytest.raises(ValueError, match=r"lengths \[10, 9\]"):
        TensorDataset(X, Y[:9])


def test_tensor_dataset_refuses_a_scalar():
    with pytest.raises(ValueError, match="array 1 is a scalar"):
        TensorDataset(X, 3.0)


def test_tensor_dataset_needs_an_array():
    with pytest.raises(ValueError, match="at least one array"):
        TensorDataset()


# -- DataLoader: batches and len ---------------------------------------------------------------
def test_loader_yields_tuples_of_numpy_arrays_in_order():
    batches = epoch(DataLoader(TensorDataset(X, Y), batch_size=4))
    assert [type(b) for b in batches] == [tuple] * 3
    assert all(isinstance(a, np.ndarray) for b in batches for a in b)
    np.testing.assert_array_equal(batches[0][0], X[:4])
    np.testing.assert_array_equal(batches[1][1], [4, 5, 6, 7])
    np.testing.assert_array_equal(batches[2][1], [8, 9])


def test_loader_default_batch_size_is_one():
    batches = epoch(DataLoader(TensorDataset(X, Y)))
    assert len(batches) == 10
    assert batches[5][0].shape == (1, 2)


@pytest.mark.parametrize(("batch_size", "drop_last", "expected"), [
    (4, False, 3), (4, True, 2), (5, False, 2), (5, True, 2), (10, True, 1), (11, False, 1),
    (11, True, 0), (1, False, 10),
])
def test_loader_len_is_the_number_of_batches(batch_size, drop_last, expected):
    loader = DataLoader(TensorDataset(X, Y), batch_size=batch_size, drop_last=drop_last)
    assert len(loader) == expected
    assert len(epoch(loader)) == expected


def test_drop_last_leaves_out_the_short_batch():
    batches = epoch(DataLoader(TensorDataset(X, Y), batch_size=4, drop_last=True))
    assert [len(y) for _, y in batches] == [4, 4]


def test_batches_are_copies_that_leave_the_dataset_alone():
    x = X.copy()
    for xb, _ in DataLoader(TensorDataset(x, Y), batch_size=4):
        xb[:] = -1
    np.testing.assert_array_equal(x, X)


def test_empty_dataset_gives_no_batches():
    loader = DataLoader(TensorDataset(np.zeros((0, 2))), batch_size=3)
    assert len(loader) == 0
    assert epoch(loader) == []


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True, "4"])
def test_loader_refuses_a_batch_size_that_is_not_a_positive_integer(batch_size):
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        DataLoader(TensorDataset(X), batch_size=batch_size)


def test_loader_refuses_an_object_that_is_not_a_dataset():
    with pytest.raises(TypeError, match="__len__ and __getitem__, got int"):
        DataLoader(5)


# -- DataLoader over any dataset: collated by np.stack per field -------------------------------
class Squares:
    """A dataset computed on demand: sample i is (x = [i, i], y = i * i)."""

    def __len__(self) -> int:
        return 5

    def __getitem__(self, i: int):
        return np.array([i, i]), i * i


def test_other_datasets_are_stacked_field_by_field():
    batches = epoch(DataLoader(Squares(), batch_size=2))
    np.testing.assert_array_equal(batches[0][0], [[0, 0], [1, 1]])
    np.testing.assert_array_equal(batches[1][1], [4, 9])
    np.testing.assert_array_equal(batches[2][1], [16])
    assert all(isinstance(a, np.ndarray) for b in batches for a in b)


def test_a_list_of_tuples_is_a_dataset():
    data = [(np.array([i, -i]), i) for i in range(3)]
    (xb, yb), = epoch(DataLoader(data, batch_size=3))
    np.testing.assert_array_equal(xb, [[0, 0], [1, -1], [2, -2]])
    np.testing.assert_array_equal(yb, [0, 1, 2])


def test_samples_that_are_not_arrays_or_containers_are_refused_by_name():
    with pytest.raises(TypeError, match=r"dataset\[1\]\[0\] is a NoneType; a sample holds"):
        epoch(DataLoader([(1, 2), (None, 3)], batch_size=2))


def test_samples_that_disagree_in_their_keys_are_refused_by_name():
    with pytest.raises(ValueError, match=r"dataset\[1\] has the keys \['y'\], but dataset\[0\] "
                                         r"has the keys \['x'\]"):
        epoch(DataLoader([{"x": 1}, {"y": 2}], batch_size=2))
    with pytest.raises(ValueError, match=r"dataset\[1\] is a int, but dataset\[0\] has the keys"):
        epoch(DataLoader([{"x": 1}, 2], batch_size=2))


class Items:
    """Five samples made by `make(i)`, in torch's and our loaders alike."""

    def __init__(self, make):
        self.make = make

    def __len__(self) -> int:
        return 5

    def __getitem__(self, i: int):
        return self.make(i)


def _as_numpy(batch):
    """A torch batch with its tensors as numpy arrays and its structure kept."""
    if isinstance(batch, dict):
        return {key: _as_numpy(value) for key, value in batch.items()}
    if isinstance(batch, (tuple, list)):
        values = [_as_numpy(value) for value in batch]
        return type(batch)(*values) if hasattr(batch, "_fields") else type(batch)(values)
    return batch.numpy()


def _assert_same(mine, expected):
    """The same structure (dict keys, sequence lengths) and the same arrays and dtypes."""
    if isinstance(expected, dict):
        assert isinstance(mine, dict) and list(mine) == list(expected)
        for key in expected:
            _assert_same(mine[key], expected[key])
    elif isinstance(expected, (tuple, list)):
        assert isinstance(mine, (tuple, list)) and len(mine) == len(expected)
        for mine_item, expected_item in zip(mine, expected, strict=True):
            _assert_same(mine_item, expected_item)
    else:
        assert isinstance(mine, np.ndarray) and mine.dtype == expected.dtype
        np.testing.assert_array_equal(mine, expected)


@pytest.mark.parametrize("make", [
    lambda i: np.array([i, 2.0 * i]),
    lambda i: float(i),
    lambda i: {"image": np.full((2, 2), i), "label": i},
    lambda i: [np.array([i, -i]), i / 2],
    lambda i: {"pair": (np.array([i]), i), "weight": 0.5},
], ids=["array", "number", "dict", "list", "nested"])
def test_samples_are_collated_as_torchs_default_collate(make):
    torch = pytest.importorskip("torch")
    mine = epoch(DataLoader(Items(make), batch_size=2))
    expected = [_as_numpy(batch) for batch in torch.utils.data.DataLoader(Items(make),
                                                                         batch_size=2)]
    assert len(mine) == len(expected) == 3
    for batch, torch_batch in zip(mine, expected, strict=True):
        _assert_same(batch, torch_batch)


def test_named_tuple_samples_give_named_tuples_of_batches_as_torch():
    torch = pytest.importorskip("torch")
    Pair = collections.namedtuple("Pair", "x y")
    data = Items(lambda i: Pair(np.array([i, i]), i))
    batch = next(iter(DataLoader(data, batch_size=3)))
    torch_batch = next(iter(torch.utils.data.DataLoader(data, batch_size=3)))
    assert type(batch) is type(torch_batch) is Pair
    _assert_same(batch, _as_numpy(torch_batch))


def test_single_array_samples_give_a_batch_array_and_lists_give_lists():
    xb, = epoch(DataLoader(Items(lambda i: np.array([i, i])), batch_size=5))
    assert isinstance(xb, np.ndarray) and xb.shape == (5, 2)
    batch = next(iter(DataLoader(Items(lambda i: [i, -i]), batch_size=2)))
    assert isinstance(batch, list) and [b.tolist() for b in batch] == [[0, 1], [0, -1]]
    batch = next(iter(DataLoader(Items(lambda i: (i, f"s{i}")), batch_size=2)))
    assert isinstance(batch, tuple) and batch[1] == ["s0", "s1"]  # strings stay a list


def test_samples_with_different_field_counts_are_refused():
    with pytest.raises(ValueError, match=r"dataset\[1\] has 1 fields, but dataset\[0\] has 2"):
        epoch(DataLoader([(1, 2), (3,)], batch_size=2))


def test_samples_with_different_shapes_in_one_field_name_the_field():
    data = [(np.zeros(2), 0), (np.zeros(3), 1)]
    with pytest.raises(ValueError, match=r"dataset\[1\]\[0\] has shape \(3,\), but "
                                         r"dataset\[0\]\[0\] has shape \(2,\)"):
        epoch(DataLoader(data, batch_size=2))


# -- shuffling ---------------------------------------------------------------------------------
def test_shuffled_epoch_is_a_permutation_of_every_sample():
    loader = DataLoader(TensorDataset(X, Y), batch_size=3, shuffle=True, seed=0)
    for xb, yb in loader:
        np.testing.assert_array_equal(xb, X[yb])  # the fields stay paired
    order = sample_order(loader)
    assert sorted(order) == list(range(10))
    assert list(order) != list(range(10))


def test_each_epoch_is_a_new_shuffle():
    loader = DataLoader(TensorDataset(X, Y), batch_size=3, shuffle=True, seed=0)
    orders = [tuple(sample_order(loader)) for _ in range(4)]
    assert len(set(orders)) == 4


def test_the_order_is_drawn_when_the_epoch_starts():
    a = DataLoader(TensorDataset(X, Y), batch_size=3, shuffle=True, seed=0)
    b = DataLoader(TensorDataset(X, Y), batch_size=3, shuffle=True, seed=0)
    first, second = iter(a), iter(a)  # two epochs begun, in this order, then run backwards
    second_order, first_order = sample_order(second), sample_order(first)
    np.testing.assert_array_equal(first_order, sample_order(b))
    np.testing.assert_array_equal(second_order, sample_order(b))


def test_same_seed_gives_the_same_sequence_of_epochs():
    def epochs(seed):
        loader = DataLoader(TensorDataset(X, Y), batch_size=4, shuffle=True, seed=seed)
        return [list(sample_order(loader)) for _ in range(3)]

    assert epochs(7) == epochs(7)
    assert epochs(7) != epochs(8)


def test_without_a_seed_nn_manual_seed_makes_shuffles_repeatable():
    def epochs():
        loader = DataLoader(TensorDataset(X, Y), batch_size=4, shuffle=True)
        return [list(sample_order(loader)) for _ in range(3)]

    nn.manual_seed(3)
    first = epochs()
    nn.manual_seed(3)
    assert epochs() == first
    nn.manual_seed(4)
    assert epochs() != first


def test_a_seeded_loader_does_not_use_the_nn_generator():
    nn.manual_seed(0)
    expected = nn.init.generator().permutation(10)
    nn.manual_seed(0)
    sample_order(DataLoader(TensorDataset(X, Y), batch_size=4, shuffle=True, seed=1))
    np.testing.assert_array_equal(nn.init.generator().permutation(10), expected)


def test_shuffled_drop_last_drops_samples_of_the_short_batch_only():
    loader = DataLoader(TensorDataset(X, Y), batch_size=4, shuffle=True, drop_last=True, seed=0)
    batches = epoch(loader)
    assert [len(y) for _, y in batches] == [4, 4]
    assert len(set(np.concatenate([y for _, y in batches]))) == 8


def test_a_generic_dataset_is_shuffled_too():
    loader = DataLoader(Squares(), batch_size=2, shuffle=True, seed=0)
    ys = np.concatenate([y for _, y in loader])
    assert sorted(ys) == [0, 1, 4, 9, 16]


# -- against torch -----------------------------------------------------------------------------
@pytest.mark.parametrize(("batch_size", "drop_last"), [(1, False), (3, False), (3, True),
                                                       (4, True), (10, False), (12, False)])
def test_unshuffled_batches_equal_torchs(batch_size, drop_last):
    torch = pytest.importorskip("torch")
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(Y)),
        batch_size=batch_size, drop_last=drop_last)
    ours = DataLoader(TensorDataset(X, Y), batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    mine, expected = epoch(ours), list(theirs)
    assert len(mine) == len(expected)
    for batch, torch_batch in zip(mine, expected, strict=True):
        assert len(batch) == len(torch_batch)
        for array, tensor in zip(batch, torch_batch, strict=True):
            assert array.dtype == tensor.numpy().dtype
            np.testing.assert_array_equal(array, tensor.numpy())


def test_shuffled_len_and_batch_sizes_equal_torchs():
    torch = pytest.importorskip("torch")
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(Y)),
        batch_size=3, shuffle=True)
    ours = DataLoader(TensorDataset(X, Y), batch_size=3, shuffle=True, seed=0)
    assert len(ours) == len(theirs)
    assert [len(y) for _, y in ours] == [len(y) for _, y in theirs]


@pytest.mark.parametrize("seed", ["x", 1.5, -1, True])
def test_a_seed_that_is_not_a_non_negative_integer_is_refused_by_name(seed):
    with pytest.raises(TypeError, match="DataLoader seed must be a non-negative integer"):
        DataLoader(TensorDataset(np.zeros(4)), seed=seed)
