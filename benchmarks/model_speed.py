"""UNet size and CPU training speed per configuration: fp32 against bf16 autocast + channels_last.

    python benchmarks/model_speed.py [--bases 16 32 64] [--batch 8] [--seconds 8] [--threads 2]

Prints a markdown table: parameters, forward GFLOPs per 128x128 slice (torch.utils.flop_counter),
training slices/s (forward + backward + AdamW step) in fp32 and in bf16 autocast with channels_last,
their ratio, and the achieved training GFLOP/s (3x the forward FLOPs per slice). All numbers come from
one run on this machine; rerun to compare. bf16 needs a CPU with AVX512-BF16/AMX to be fast.
"""
import argparse, time
import torch
from mammia_seg.model import build_model, count_flops, n_params

def train_speed(base, bf16, batch, seconds, size=128):
    torch.manual_seed(0)
    model = build_model(base=base).train()
    x = torch.randn(batch, 6, size, size); y = (torch.rand(batch, 1, size, size) > 0.9).float()
    if bf16: model = model.to(memory_format=torch.channels_last); x = x.to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    def step():
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x).float(), y)
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
    step()                                   # warm-up: oneDNN picks its kernels
    n, t0 = 0, time.perf_counter()
    while n < 2 or time.perf_counter() - t0 < seconds:
        step(); n += 1
    return n * batch / (time.perf_counter() - t0)

if __name__ == '__main__':
    p = argparse.ArgumentParser()
    p.add_argument('--bases', type=int, nargs='+', default=[16, 32, 64])
    p.add_argument('--batch', type=int, default=8)
    p.add_argument('--seconds', type=float, default=8.0)
    p.add_argument('--threads', type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    print(f"torch {torch.__version__}, {a.threads} threads, batch {a.batch}, 128x128, 6 channels\n")
    print('| base | params (M) | fwd GFLOPs/slice | train fp32 slices/s | train bf16+CL slices/s | speed-up | bf16 train GFLOP/s |')
    print('|---|---|---|---|---|---|---|')
    for base in a.bases:
        m = build_model(base=base)
        gf = count_flops(m, 128) / 1e9
        fp32 = train_speed(base, False, a.batch, a.seconds)
        bf16 = train_speed(base, True, a.batch, a.seconds)
        print(f'| {base} | {n_params(m)/1e6:.2f} | {gf:.2f} | {fp32:.1f} | {bf16:.1f} | {bf16/fp32:.2f}x | {3*gf*bf16:.0f} |', flush=True)
