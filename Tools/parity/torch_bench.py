"""PyTorch as a peer for a shipped quality preset: the preset's ONNX weights loaded into
Training/models.py's TransformerNet (the names match: the presets are exported from it), timed
in fp32 and in bf16 autocast with channels-last tensors (oneDNN; AMX where the CPU has it).

  torch_bench.py time MODEL.onnx WxH THREADS RUNS fp32|bf16   median ms of RUNS after 2 warm-ups
"""
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Training"))
from models import TransformerNet  # noqa: E402


def load(path):
    net = TransformerNet()
    weights = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in onnx.load(path).graph.initializer}
    state = net.state_dict()
    missing = [name for name in state if name not in weights]
    if missing:
        sys.exit(f"{path}: not a TransformerNet export (missing {missing[:3]}…)")
    net.load_state_dict({name: weights[name] for name in state})
    return net.eval()


def time_torch(path, width, height, threads, runs, precision):
    torch.set_num_threads(threads)
    net = load(path).to(memory_format=torch.channels_last)
    rng = np.random.default_rng(1)
    image = torch.from_numpy(rng.uniform(0, 255, (1, 3, height, width)).astype(np.float32))
    image = image.contiguous(memory_format=torch.channels_last)

    def run():
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            net(image)

    for _ in range(2):
        run()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    if len(sys.argv) != 7 or sys.argv[1] != "time" or sys.argv[6] not in ("fp32", "bf16"):
        sys.exit(__doc__)
    width, height = (int(v) for v in sys.argv[3].split("x"))
    print("%.2f" % time_torch(sys.argv[2], width, height, int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]))


if __name__ == "__main__":
    main()
