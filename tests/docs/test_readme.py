"""README.md's Python blocks run, and the outputs its comments show are what they print."""
import contextlib
import io
import pathlib
import re

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]


def python_blocks():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def block_with(needle):
    (block,) = [b for b in python_blocks() if needle in b]
    return block


def split_comment(line):
    code, _, comment = line.partition("  #")
    return code.strip(), comment.strip()


def test_readme_examples_print_what_they_say():
    import chainrule as cr

    # The first block: print(x.grad, y.grad, z.grad)  # tensor(-4.) tensor(-4.) tensor(3.)
    block = block_with("print(x.grad, y.grad, z.grad)")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(block, {"__name__": "__readme__"})
    (print_line,) = [line for line in block.splitlines() if line.startswith("print(")]
    assert out.getvalue().strip() == split_comment(print_line)[1]

    # Custom operators: the last two lines are expressions whose repr the comments show.
    block = block_with("class Log1pExp")
    lines = block.rstrip("\n").splitlines()
    namespace = {"__name__": "__readme__", "cr": cr}
    exec("\n".join(lines[:-2]), namespace)
    for line in lines[-2:]:
        code, comment = split_comment(line)
        shown, _, claim = comment.partition(" == ")
        value = eval(code, namespace)
        assert repr(value) == shown, (code, repr(value), shown)
        expected = {"sigmoid(4.5)": 1 / (1 + np.exp(-4.5)),
                    "sigmoid'(4.5)": np.exp(-4.5) / (1 + np.exp(-4.5)) ** 2}[claim]
        number = float(value[0].item()) if isinstance(value, tuple) else float(value)
        np.testing.assert_allclose(number, expected, rtol=1e-6)

    # Function transforms: every line runs; the fourth derivative of sin is sin.
    block = block_with("cr.hessian(f)(x)")
    namespace = {"__name__": "__readme__", "cr": cr}
    exec(block, namespace)
    last = block.rstrip("\n").splitlines()[-1]
    code, comment = split_comment(last)
    assert comment == "== sin(1.0)"
    np.testing.assert_allclose(float(eval(code, namespace)), np.sin(1.0), rtol=1e-12)

    # Tensors and autodiff: the comment's formulas for W.grad and x.grad.
    block = block_with("loss = (q * q).sum()")
    namespace = {"__name__": "__readme__", "cr": cr}
    exec(block, namespace)
    W, x, q = namespace["W"], namespace["x"], namespace["q"]
    np.testing.assert_allclose(W.grad.data, 2 * np.outer(q.data, x.data), rtol=1e-6)
    np.testing.assert_allclose(x.grad.data, 2 * W.data.T @ q.data, rtol=1e-6)
