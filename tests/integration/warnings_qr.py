"""Reads back the QR code warn draws for a household's door plate (GET
/v1/households/{id}/visit-code, "qr_svg"), so test_warnings.py can check that the SVG is a
real QR code of the token and not just something with <rect> elements in it.

Python 3 standard library only. Enough of ISO/IEC 18004 for what warn makes: a symbol drawn
as <rect> runs of dark modules inside a 4-module quiet zone, error-correction level M,
versions 1-40, numeric, alphanumeric and byte segments. No error correction is applied: a
clean rendering needs none, and a wrong bit anywhere makes the text come out wrong, which is
the point of the check. Raises ValueError on anything it cannot read."""
import re

QUIET = 4
# ISO/IEC 18004 Table 9, level M: error-correction codewords per block, and blocks, by version
ECC_M = [-1, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28,
         28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28]
BLOCKS_M = [-1, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28,
            29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49]
ECL_BITS = {"L": 1, "M": 0, "Q": 3, "H": 2}
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
MASKS = [
    lambda x, y: (x + y) % 2 == 0,
    lambda x, y: y % 2 == 0,
    lambda x, y: x % 3 == 0,
    lambda x, y: (x + y) % 3 == 0,
    lambda x, y: (x // 3 + y // 2) % 2 == 0,
    lambda x, y: x * y % 2 + x * y % 3 == 0,
    lambda x, y: (x * y % 2 + x * y % 3) % 2 == 0,
    lambda x, y: ((x + y) % 2 + x * y % 3) % 2 == 0,
]


def svg_modules(svg):
    """The symbol's modules (rows of booleans, quiet zone removed) from warn's SVG."""
    m = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg)
    if not m or m.group(1) != m.group(2):
        raise ValueError("no square viewBox")
    size = int(m.group(1)) - 2 * QUIET
    if size < 21 or (size - 17) % 4:
        raise ValueError("a symbol of %d modules is no QR version" % size)
    grid = [[False] * size for _ in range(size)]
    runs = re.findall(r'<rect x="(\d+)" y="(\d+)" width="(\d+)" height="1"/>', svg)
    if not runs:
        raise ValueError("no module runs")
    for xs, ys, ws in runs:
        x, y, w = int(xs) - QUIET, int(ys) - QUIET, int(ws)
        if y < 0 or y >= size or x < 0 or x + w > size:
            raise ValueError("a module outside the symbol")
        for i in range(w):
            grid[y][x + i] = True
    return grid


def _format_bits(ecl, mask):
    data = ECL_BITS[ecl] << 3 | mask
    rem = data
    for _ in range(10):
        rem = (rem << 1) ^ ((rem >> 9) * 0x537)
    return (data << 10 | rem) ^ 0x5412


def _alignment_positions(version, size):
    if version == 1:
        return []
    n = version // 7 + 2
    step = (version * 8 + n * 3 + 5) // (n * 4 - 4) * 2
    return [6] + sorted(size - 7 - i * step for i in range(n - 1))


def _function_map(version, size):
    f = [[False] * size for _ in range(size)]

    def mark(x0, y0, w, h):
        for y in range(max(0, y0), min(size, y0 + h)):
            for x in range(max(0, x0), min(size, x0 + w)):
                f[y][x] = True
    for i in range(size):            # timing patterns
        f[6][i] = f[i][6] = True
    mark(0, 0, 9, 9)                 # finders, separators and format information
    mark(size - 8, 0, 8, 9)
    mark(0, size - 8, 9, 8)
    pos = _alignment_positions(version, size)
    last = len(pos) - 1
    for i, cy in enumerate(pos):
        for j, cx in enumerate(pos):
            if (i, j) in ((0, 0), (0, last), (last, 0)):
                continue
            mark(cx - 2, cy - 2, 5, 5)
    if version >= 7:                 # version information
        mark(size - 11, 0, 3, 6)
        mark(0, size - 11, 6, 3)
    return f


def _check_finders(g, size):
    def finder(x0, y0):
        for dy in range(7):
            for dx in range(7):
                ring = max(abs(dx - 3), abs(dy - 3))
                if g[y0 + dy][x0 + dx] != (ring != 2):
                    return False
        return True
    if not (finder(0, 0) and finder(size - 7, 0) and finder(0, size - 7)):
        raise ValueError("the three finder patterns are not where a QR code has them")
    for i in range(8, size - 8):
        if g[6][i] != (i % 2 == 0) or g[i][6] != (i % 2 == 0):
            raise ValueError("the timing patterns are broken")


def _read_format(g, size):
    bits = 0
    for i in range(6):
        bits |= g[i][8] << i
    bits |= g[7][8] << 6
    bits |= g[8][8] << 7
    bits |= g[8][7] << 8
    for i in range(9, 15):
        bits |= g[8][14 - i] << i
    bits2 = 0
    for i in range(8):
        bits2 |= g[8][size - 1 - i] << i
    for i in range(8, 15):
        bits2 |= g[size - 15 + i][8] << i
    best = None
    for ecl in ECL_BITS:
        for mask in range(8):
            want = _format_bits(ecl, mask)
            d = min(bin(want ^ bits).count("1"), bin(want ^ bits2).count("1"))
            if best is None or d < best[0]:
                best = (d, ecl, mask)
    if best[0] > 3:
        raise ValueError("no valid format information")
    return best[1], best[2]


def _raw_modules(version):
    n = (16 * version + 128) * version + 64
    if version >= 2:
        a = version // 7 + 2
        n -= (25 * a - 10) * a - 55
        if version >= 7:
            n -= 36
    return n


class _Bits:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        if self.pos + n > len(self.data) * 8:
            raise ValueError("the data runs out")
        v = 0
        for _ in range(n):
            v = v << 1 | (self.data[self.pos >> 3] >> (7 - (self.pos & 7)) & 1)
            self.pos += 1
        return v

    def left(self):
        return len(self.data) * 8 - self.pos


def qr_decode_svg(svg):
    """The text of warn's QR SVG."""
    g = svg_modules(svg)
    size = len(g)
    version = (size - 17) // 4
    _check_finders(g, size)
    ecl, mask = _read_format(g, size)
    if ecl != "M":
        raise ValueError("error-correction level %s, warn draws M" % ecl)
    func = _function_map(version, size)
    total = _raw_modules(version) // 8
    bits = []
    right = size - 1
    while right >= 1:
        if right == 6:
            right = 5
        for vert in range(size):
            for j in range(2):
                x = right - j
                upward = ((right + 1) & 2) == 0
                y = size - 1 - vert if upward else vert
                if not func[y][x] and len(bits) < total * 8:
                    bits.append(g[y][x] ^ MASKS[mask](x, y))
        right -= 2
    if len(bits) != total * 8:
        raise ValueError("%d data modules, %d expected" % (len(bits), total * 8))
    cw = [int("".join("1" if b else "0" for b in bits[i:i + 8]), 2) for i in range(0, len(bits), 8)]
    nblocks, ecc = BLOCKS_M[version], ECC_M[version]
    short = total // nblocks
    nshort = nblocks - total % nblocks
    dlen = [short - ecc + (0 if b < nshort else 1) for b in range(nblocks)]
    blocks = [[] for _ in range(nblocks)]
    k = 0
    for i in range(max(dlen)):
        for b in range(nblocks):
            if i < dlen[b]:
                blocks[b].append(cw[k])
                k += 1
    data = bytes(c for blk in blocks for c in blk)
    return _segments(data, version)


def _segments(data, version):
    r = _Bits(data)
    out = bytearray()
    band = 0 if version <= 9 else 1 if version <= 26 else 2
    while r.left() >= 4:
        mode = r.take(4)
        if mode == 0:
            break
        if mode == 4:
            for _ in range(r.take((8, 16, 16)[band])):
                out.append(r.take(8))
        elif mode == 1:
            n = r.take((10, 12, 14)[band])
            while n >= 3:
                out += b"%03d" % r.take(10)
                n -= 3
            if n == 2:
                out += b"%02d" % r.take(7)
            elif n == 1:
                out += b"%d" % r.take(4)
        elif mode == 2:
            n = r.take((9, 11, 13)[band])
            while n >= 2:
                v = r.take(11)
                out += (ALNUM[v // 45] + ALNUM[v % 45]).encode()
                n -= 2
            if n:
                out += ALNUM[r.take(6)].encode()
        else:
            raise ValueError("segment mode %d is not one warn uses" % mode)
    return out.decode()
