"""The rows' weights of a style bank look at a strength, as Stylize's `BankLook.weights`: 0 is the
photo row, `default` the painting's row, 1 its bold row (none: stays at the painting's row)."""


def weights(rows, photo, row, bold, default, strength):
    """One weight per name in `rows`, as a list of floats."""
    w = [0.0] * len(rows)
    s = min(max(strength, 0.0), 1.0)
    if s <= default:
        t = s / default if default > 0 else 1.0
        w[rows.index(photo)] += 1 - t
        w[rows.index(row)] += t
    elif bold:
        u = (s - default) / (1 - default)
        w[rows.index(row)] += 1 - u
        w[rows.index(bold)] += u
    else:
        w[rows.index(row)] = 1.0
    return w
