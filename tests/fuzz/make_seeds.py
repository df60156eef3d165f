#!/usr/bin/env python3
"""Writes the seed corpora of the fuzzing harnesses (tests/fuzz/<harness>/seed-*): small real
inputs in each harness's input format (see the comment at the top of fuzz_<harness>.c).

    tests/fuzz/make_seeds.py [NNBLAS]   # NNBLAS: a built nnblas command, for the model seeds

The model seeds are tests/data/golden-v1.nnb and, when a built command is given, models it trains
on tests/data/golden.csv (classification with one-hot categories, a sigmoid binary model,
regression) and on a tiny IDX set. Inputs found by fuzzing are kept beside the seeds as
regress-* and are not written by this script (regress-big-endian.nnb: the golden model with its
header in big-endian order, once refused as a "newer version")."""
import gzip, os, shutil, struct, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, '..', 'data')


def write(harness, name, data):
    d = os.path.join(HERE, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'seed-' + name), 'wb') as f:
        f.write(data)


def csv_seed(name, flags, text_cols, body, delim=b','):
    write('csv', name, bytes([flags]) + text_cols + b'\n' + body.replace(b',', delim))


# flags: bits 0-1 delimiter (, ; \t |), bit 2 drop bad rows, bits 3-4 first column's role
# (feature, VALUES, ONEHOT, INDEX target), bit 5 min-max, bit 6 unseen zero, bit 7 one-hot all
ADMISSIONS = (b'admit,gre,gpa,rank\n0,380,3.61,3\n1,660,3.67,3\n1,800,4,1\n1,640,3.19,4\n'
              b'0,520,2.93,4\n1,760,3,2\n1,560,2.98,1\n0,400,3.08,2\n1,540,3.39,3\n0,700,3.92,2\n')
csv_seed('admissions-index', 3 << 3, b'', ADMISSIONS)
csv_seed('admissions-onehot-minmax', (2 << 3) | 0x20, b'', ADMISSIONS)
csv_seed('admissions-values-onehot-all', (1 << 3) | 0x80, b'', ADMISSIONS)
with open(os.path.join(DATA, 'golden.csv'), 'rb') as f:
    golden = f.read()
# species is the last column: made the first so that it is the target
rows = [r.split(b',') for r in golden.strip().split(b'\n')]
golden_first = b'\n'.join(b','.join([r[-1]] + r[:-1]) for r in rows) + b'\n'
csv_seed('golden-classes', (2 << 3) | 0x40, b'species,colour,!id', golden_first)
csv_seed('golden-index-semicolon', (3 << 3) | 1, b'species,colour,id', golden_first, b';')
csv_seed('quoted-crlf-bom', 1 << 3,
         b'name',
         b'\xef\xbb\xbfy,"name",x\r\n1.5,"a, ""quoted"" name",2\r\n-3e2,"two\nlines",4\r\n'
         b'7,plain,  5  \r\n')
csv_seed('tab-missing-drop', 2 | 4 | (1 << 3), b'', b'y,a,b\n1,2,3\n2,NA,4\n3,,5\n4,6,nan\n5,7,8\n9,1,1\n')
csv_seed('bare-cr-pipe', 3 | (1 << 3), b'c', b'y,c,z\r1,u,0.25\r2,v,0.5\r\r3,u,1e-3\r', b'|')
csv_seed('constant-columns', 1 << 3, b'', b'y,k,m\n1,5,0\n1,5,0\n1,5,0\n')
csv_seed('one-row', 0, b'', b'a,b\n1,2\n')

# IDX: two bytes (the images file's length), the images file, the labels file
def idx(dims, payload, gz=False):
    b = bytes([0, 0, 8, len(dims)]) + b''.join(struct.pack('>I', d) for d in dims) + payload
    return gzip.compress(b, mtime=0) if gz else b


def idx_seed(name, images, labels):
    write('idx', name, struct.pack('>H', len(images)) + images + labels)


pix = bytes((i * 37) % 256 for i in range(3 * 2 * 2))
idx_seed('raw-3x2x2', idx([3, 2, 2], pix), idx([3], bytes([0, 9, 4])))
idx_seed('gzip-3x2x2', idx([3, 2, 2], pix, True), idx([3], bytes([1, 2, 3]), True))
idx_seed('count-mismatch', idx([2, 3], bytes(6)), idx([3], bytes([1, 1, 1])))
idx_seed('label-too-large', idx([1, 1], bytes([255])), idx([1], bytes([200])))
idx_seed('one-dim', idx([4], bytes([0, 1, 2, 3])), idx([4], bytes([0, 1, 2, 3])))

# model: the golden file, and models trained by the command
with open(os.path.join(DATA, 'golden-v1.nnb'), 'rb') as f:
    write('model', 'golden-v1.nnb', f.read())
if len(sys.argv) > 1:
    nnblas = sys.argv[1]
    tmp = tempfile.mkdtemp()
    try:
        csv = os.path.join(tmp, 'g.csv')
        with open(csv, 'wb') as f:
            f.write(golden)
        runs = {
            'classes-onehot.nnb': ['--target', 'species', '--one-hot', 'colour', '--drop', 'id',
                                   '--standardize', 'all', '--layers', '3', '--epochs', '2'],
            'sigmoid-binary.nnb': ['--target', 'colour', '--output', 'sigmoid', '--drop',
                                   'id,species', '--layers', '', '--optimizer', 'sgd',
                                   '--epochs', '1'],
            'regression.nnb': ['--target', 'length,width', '--drop', 'id,species,colour',
                               '--layers', '2', '--activation', 'leaky-relu:0.2', '--optimizer',
                               'lm', '--epochs', '1', '--test', '0'],
            # float32 networks: format 1.1 (element type in ARCH, parameters in PF32)
            'f32-classes-onehot.nnb': ['--target', 'species', '--one-hot', 'colour', '--drop',
                                       'id', '--layers', '3', '--epochs', '2', '--dtype', 'f32',
                                       '--patience', '3', '--val', '0.25'],
            'f32-regression.nnb': ['--target', 'length,width', '--drop', 'id,species,colour',
                                   '--layers', '2', '--activation', 'leaky-relu:0.2',
                                   '--optimizer', 'momentum', '--epochs', '1', '--test', '0',
                                   '--dtype', 'f32'],
        }
        for name, args in runs.items():
            out = os.path.join(tmp, name)
            subprocess.run([nnblas, 'train', '--csv', csv, '--quiet', '--save', out] + args,
                           check=True, stdout=subprocess.DEVNULL)
            with open(out, 'rb') as f:
                write('model', name, f.read())
        # the float32 model as a newer minor version (1.3) with an element type this library
        # does not know (2): NNB_E_VERSION, not damage
        with open(os.path.join(tmp, 'f32-regression.nnb'), 'rb') as f:
            b = bytearray(f.read())
        at = 32 + 16 + 16 + 24 * struct.unpack_from('<Q', b, 56)[0]
        struct.pack_into('<H', b, 10, 3)
        struct.pack_into('<I', b, at, 2)
        import zlib
        struct.pack_into('<I', b, len(b) - 4, zlib.crc32(bytes(b[:-4])) & 0xFFFFFFFF)
        write('model', 'f32-newer-type.nnb', bytes(b))
        # a tiny IDX set: 20 training and 10 test images of 2x2
        d = os.path.join(tmp, 'mn')
        os.makedirs(d)
        for part, n in (('train', 20), ('t10k', 10)):
            with open(os.path.join(d, part + '-images-idx3-ubyte'), 'wb') as f:
                f.write(idx([n, 2, 2], bytes((i * 53) % 256 for i in range(n * 4))))
            with open(os.path.join(d, part + '-labels-idx1-ubyte'), 'wb') as f:
                f.write(idx([n], bytes(i % 10 for i in range(n))))
        out = os.path.join(tmp, 'idx.nnb')
        subprocess.run([nnblas, 'train', '--idx', 'mnist:' + d, '--layers', '', '--epochs', '1',
                        '--quiet', '--save', out], check=True, stdout=subprocess.DEVNULL)
        with open(out, 'rb') as f:
            write('model', 'idx.nnb', f.read())
    finally:
        shutil.rmtree(tmp)

# command lines: the arguments after "nnblas", NUL-separated
CLI = [
    ['--help'], ['--version'], ['help'], [], ['frobnicate'],
    ['train', '--csv', 'data.csv', '--target', 'label', '--one-hot', 'colour,size', '--drop', 'id',
     '--standardize', 'all', '--layers', '8,4', '--activation', 'leaky-relu:0.1', '--epochs', '3',
     '--batch', '16', '--seed', '7', '--val', '0.1', '--test', '0.2', '--save', 'm.nnb'],
    ['train', '--idx', 'fashion-mnist', '--layers', '256,128', '--activation', 'relu', '--dropout',
     '0.2', '--optimizer', 'adam', '--lr', '0.001', '--batch', '128', '--epochs', '15'],
    ['train', '--idx', 'mnist:/tmp/d', '--output', 'sigmoid', '--loss', 'bce', '--init',
     'orthogonal', '--no-bias', '--json', '--quiet', '--threads', '2', '--patience', '3'],
    ['train', '--resume', 'm.nnb', '--epochs', '6', '--save', 'm.nnb', '--weight-decay=0.01',
     '--optimizer=adamw', '--reduction', 'sum'],
    ['train', '--csv', 'r.csv', '--target', 'a,b', '--task', 'regression', '--output',
     'identity', '--loss', 'mse', '--layers', ''],
    ['train', '--csv', 'x.csv', '--target', 'y', '--lr', '1e-3', '--epochs', '0'],
    ['eval', '--model', 'm.nnb', '--csv', 'data.csv', '--json'],
    ['eval', '--model', 'm.nnb', '--idx', 'fashion-mnist:/usr/share/datasets/fashion-mnist'],
    ['predict', '--model', 'm.nnb', '--csv', 'new.csv', '--out', 'p.csv'],
    ['info', '--model', 'm.nnb', '--params-hex'],
    ['info', '--model'],
    ['train', '--csv', 'data.csv', '--target', 'label', '--val', '0.2', '--plot', 'curves.svg'],
    ['eval', '--model', 'm.nnb', '--csv', 'data.csv', '--plot', 'confusion.svg', '--json'],
    # float32 (issue 19): the element type's names and what it excludes
    ['train', '--csv', 'data.csv', '--target', 'label', '--dtype', 'f32', '--optimizer', 'lm'],
    ['train', '--resume', 'm.nnb', '--dtype=float32', '--epochs', '2', '--save', 'm.nnb'],
    ['train', '--idx', 'mnist:/tmp/d', '--dtype', 'F16', '--dtype', 'single'],
    # issue 26 (written by hand at first, listed here so that the numbers stay)
    ['train', '--resume', 'm.nnb', '--new-data', '--epochs', '2', '--save', 'm.nnb'],
    ['train', '--csv', 'd.csv', '--target', 'a,a', '--plot', '-', '--clip-norm', '1e-400'],
    ['eval', '--model', 'm.nnb', '--csv', 'd.csv', '--plot', '-'],
    # exports (issue 25)
    ['export', 'm.nnb', '--onnx', 'm.onnx', '--c', 'm.c', '--header', 'inc/m.h', '--name',
     'pets_2', '--int8', '--own-math', '--dtype', 'f32', '--input-scale', '0.5', '--csv', 'd.csv'],
    ['export', '--model=m.nnb', '--c=m.c', '--name', '9x', '--idx', 'fashion-mnist', '--onx'],
    # issue 26: filling missing cells, decimal commas
    ['train', '--csv', 'd.csv', '--target', 'y', '--fill', 'most-frequent', '--decimal', ','],
    ['predict', '--model', 'm.nnb', '--csv', 'd.csv', '--decimal', 'auto'],
    ['train', '--idx', 'fashion-mnist', '--fill', 'mean'],
]
for i, args in enumerate(CLI):
    write('cli', '%02d' % i, b'\0'.join(a.encode() for a in args))
