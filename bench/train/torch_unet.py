"""The same SDXL-family UNet as moe's, written in plain torch.nn for `npm run bench:train`.

Builds the network from a diffusers config.json (module names as diffusers names them, so the
checkpoint loads with strict=True), loads the weights and a batch from safetensors files, trains with
torch.optim.AdamW on an MSE loss for a fixed number of steps, and prints one JSON line with
samples/s, peak RSS and the first loss (the bench checks it equals moe's).
"""
import argparse
import json
import math
import resource
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        dtype = {"F32": np.float32, "I64": np.int64}[info["dtype"]]
        out[name] = torch.from_numpy(np.frombuffer(data[begin:end], dtype=dtype).reshape(info["shape"]).copy())
    return out


def timestep_embedding(t, dim, flip_sin_to_cos, shift):
    half = dim // 2
    exponent = -math.log(10000) * torch.arange(half, dtype=torch.float32) / (half - shift)
    args = t[:, None].float() * torch.exp(exponent)[None, :]
    emb = torch.cat([torch.sin(args), torch.cos(args)], dim=-1)
    if flip_sin_to_cos:
        emb = torch.cat([emb[:, half:], emb[:, :half]], dim=-1)
    return emb


class TimestepEmbedding(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.linear_1 = nn.Linear(cin, cout)
        self.linear_2 = nn.Linear(cout, cout)

    def forward(self, x):
        return self.linear_2(F.silu(self.linear_1(x)))


class Resnet(nn.Module):
    def __init__(self, cin, cout, temb, groups, eps):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=eps)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, cout)
        self.norm2 = nn.GroupNorm(groups, cout, eps=eps)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb_act):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time_emb_proj(temb_act)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        skip = self.conv_shortcut(x) if self.conv_shortcut is not None else x
        return skip + h


class Attention(nn.Module):
    def __init__(self, dim, context_dim, heads):
        super().__init__()
        self.heads = heads
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(context_dim, dim, bias=False)
        self.to_v = nn.Linear(context_dim, dim, bias=False)
        self.to_out = nn.ModuleList([nn.Linear(dim, dim)])

    def forward(self, x, context=None):
        context = x if context is None else context
        b, n, c = x.shape
        d = c // self.heads
        q = self.to_q(x).view(b, n, self.heads, d).transpose(1, 2)
        k = self.to_k(context).view(b, -1, self.heads, d).transpose(1, 2)
        v = self.to_v(context).view(b, -1, self.heads, d).transpose(1, 2)
        probs = torch.softmax(q @ k.transpose(-1, -2) * d**-0.5, dim=-1)
        o = (probs @ v).transpose(1, 2).reshape(b, n, c)
        return self.to_out[0](o)


class GEGLU(nn.Module):
    def __init__(self, dim, inner):
        super().__init__()
        self.proj = nn.Linear(dim, inner * 2)

    def forward(self, x):
        hidden, gate = self.proj(x).chunk(2, dim=-1)
        return hidden * F.gelu(gate)


class FeedForward(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.net = nn.ModuleList([GEGLU(dim, dim * 4), nn.Identity(), nn.Linear(dim * 4, dim)])

    def forward(self, x):
        for m in self.net:
            x = m(x)
        return x


class BasicTransformerBlock(nn.Module):
    def __init__(self, dim, context_dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn1 = Attention(dim, dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.attn2 = Attention(dim, context_dim, heads)
        self.norm3 = nn.LayerNorm(dim)
        self.ff = FeedForward(dim)

    def forward(self, x, context):
        x = self.attn1(self.norm1(x)) + x
        x = self.attn2(self.norm2(x), context) + x
        return self.ff(self.norm3(x)) + x


class Transformer2D(nn.Module):
    def __init__(self, channels, context_dim, heads, layers, groups):
        super().__init__()
        self.norm = nn.GroupNorm(groups, channels, eps=1e-6)
        self.proj_in = nn.Linear(channels, channels)
        self.transformer_blocks = nn.ModuleList(
            [BasicTransformerBlock(channels, context_dim, heads) for _ in range(layers)]
        )
        self.proj_out = nn.Linear(channels, channels)

    def forward(self, x, context):
        b, c, h, w = x.shape
        t = self.norm(x).reshape(b, c, h * w).transpose(1, 2)
        t = self.proj_in(t)
        for blk in self.transformer_blocks:
            t = blk(t, context)
        t = self.proj_out(t).transpose(1, 2).reshape(b, c, h, w)
        return t + x


class Down(nn.Module):
    def __init__(self, cin, cout, layers, temb, cfg, heads, tlayers, add_down, attn):
        super().__init__()
        g, eps = cfg["norm_num_groups"], cfg["norm_eps"]
        self.resnets = nn.ModuleList([Resnet(cin if j == 0 else cout, cout, temb, g, eps) for j in range(layers)])
        self.attentions = (
            nn.ModuleList(
                [Transformer2D(cout, cfg["cross_attention_dim"], heads, tlayers, g) for _ in range(layers)]
            )
            if attn
            else None
        )
        if add_down:
            self.downsamplers = nn.ModuleList([nn.Module()])
            self.downsamplers[0].conv = nn.Conv2d(cout, cout, 3, stride=2, padding=cfg["downsample_padding"])
        else:
            self.downsamplers = None

    def forward(self, h, temb_act, context, skips):
        for j, r in enumerate(self.resnets):
            h = r(h, temb_act)
            if self.attentions is not None:
                h = self.attentions[j](h, context)
            skips.append(h)
        if self.downsamplers is not None:
            h = self.downsamplers[0].conv(h)
            skips.append(h)
        return h


class Up(nn.Module):
    def __init__(self, cin, cout, prev, layers, temb, cfg, heads, tlayers, add_up, attn):
        super().__init__()
        g, eps = cfg["norm_num_groups"], cfg["norm_eps"]
        resnets = []
        for j in range(layers):
            skip_c = cin if j == layers - 1 else cout
            in_c = prev if j == 0 else cout
            resnets.append(Resnet(in_c + skip_c, cout, temb, g, eps))
        self.resnets = nn.ModuleList(resnets)
        self.attentions = (
            nn.ModuleList(
                [Transformer2D(cout, cfg["cross_attention_dim"], heads, tlayers, g) for _ in range(layers)]
            )
            if attn
            else None
        )
        if add_up:
            self.upsamplers = nn.ModuleList([nn.Module()])
            self.upsamplers[0].conv = nn.Conv2d(cout, cout, 3, padding=1)
        else:
            self.upsamplers = None

    def forward(self, h, temb_act, context, skips):
        for j, r in enumerate(self.resnets):
            h = r(torch.cat([h, skips.pop()], dim=1), temb_act)
            if self.attentions is not None:
                h = self.attentions[j](h, context)
        if self.upsamplers is not None:
            h = self.upsamplers[0].conv(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        return h


class Mid(nn.Module):
    def __init__(self, c, temb, cfg, heads, tlayers):
        super().__init__()
        g, eps = cfg["norm_num_groups"], cfg["norm_eps"]
        self.resnets = nn.ModuleList([Resnet(c, c, temb, g, eps), Resnet(c, c, temb, g, eps)])
        self.attentions = nn.ModuleList([Transformer2D(c, cfg["cross_attention_dim"], heads, tlayers, g)])

    def forward(self, h, temb_act, context):
        h = self.resnets[0](h, temb_act)
        h = self.attentions[0](h, context)
        return self.resnets[1](h, temb_act)


class UNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        ch = cfg["block_out_channels"]
        heads = cfg["attention_head_dim"]
        heads = heads if isinstance(heads, list) else [heads] * len(ch)
        tl = cfg["transformer_layers_per_block"]
        tl = tl if isinstance(tl, list) else [tl] * len(ch)
        lpb = cfg["layers_per_block"]
        temb = ch[0] * 4
        self.conv_in = nn.Conv2d(cfg["in_channels"], ch[0], cfg["conv_in_kernel"], padding=cfg["conv_in_kernel"] // 2)
        self.time_embedding = TimestepEmbedding(ch[0], temb)
        self.add_embedding = TimestepEmbedding(cfg["projection_class_embeddings_input_dim"], temb)
        downs = []
        for i, kind in enumerate(cfg["down_block_types"]):
            cin = ch[0] if i == 0 else ch[i - 1]
            last = i == len(ch) - 1
            downs.append(Down(cin, ch[i], lpb, temb, cfg, heads[i], tl[i], not last, kind.startswith("CrossAttn")))
        self.down_blocks = nn.ModuleList(downs)
        self.mid_block = Mid(ch[-1], temb, cfg, heads[-1], tl[-1])
        rch = list(reversed(ch))
        rheads = list(reversed(heads))
        rtl = list(reversed(tl))
        ups = []
        for i, kind in enumerate(cfg["up_block_types"]):
            prev = rch[max(i - 1, 0)] if i > 0 else rch[0]
            cout = rch[i]
            cin = rch[min(i + 1, len(ch) - 1)]
            last = i == len(ch) - 1
            ups.append(
                Up(cin, cout, prev, lpb + 1, temb, cfg, rheads[i], rtl[i], not last, kind.startswith("CrossAttn"))
            )
        self.up_blocks = nn.ModuleList(ups)
        self.conv_norm_out = nn.GroupNorm(cfg["norm_num_groups"], ch[0], eps=cfg["norm_eps"])
        self.conv_out = nn.Conv2d(ch[0], cfg["out_channels"], cfg["conv_out_kernel"], padding=cfg["conv_out_kernel"] // 2)

    def forward(self, sample, timestep, context, text_embeds, time_ids):
        cfg = self.cfg
        ch0 = cfg["block_out_channels"][0]
        t = timestep_embedding(timestep, ch0, cfg["flip_sin_to_cos"], cfg["freq_shift"])
        emb = self.time_embedding(t)
        ids = timestep_embedding(time_ids.flatten(), cfg["addition_time_embed_dim"], cfg["flip_sin_to_cos"], cfg["freq_shift"])
        ids = ids.reshape(sample.shape[0], -1)
        emb = emb + self.add_embedding(torch.cat([text_embeds, ids], dim=-1))
        temb_act = F.silu(emb)
        h = self.conv_in(sample)
        skips = [h]
        for d in self.down_blocks:
            h = d(h, temb_act, context, skips)
        h = self.mid_block(h, temb_act, context)
        for u in self.up_blocks:
            h = u(h, temb_act, context, skips)
        return self.conv_out(F.silu(self.conv_norm_out(h)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--config", required=True)
    p.add_argument("--weights", required=True)
    p.add_argument("--batch", required=True)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--lr", type=float, default=1e-4)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    with open(a.config) as f:
        cfg = json.load(f)
    model = UNet(cfg)
    model.load_state_dict(read_safetensors(a.weights), strict=True)
    model.train()
    batch = read_safetensors(a.batch)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-2)
    args = (batch["sample"], batch["timestep"], batch["encoder_hidden_states"], batch["text_embeds"], batch["time_ids"])
    n = batch["sample"].shape[0]
    first = None
    start = None
    cpu = None
    for step in range(a.warmup + a.steps):
        if step == a.warmup:
            start = time.perf_counter()
            cpu = time.process_time()
        opt.zero_grad(set_to_none=True)
        loss = F.mse_loss(model(*args), batch["target"])
        loss.backward()
        opt.step()
        if first is None:
            first = loss.item()
    elapsed = time.perf_counter() - start
    cpu_per_step = (time.process_time() - cpu) / a.steps
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "samples_per_s": a.steps * n / elapsed,
                "cpu_s_per_step": cpu_per_step,
                "peak_rss_mb": peak,
                "first_loss": first,
                "threads": torch.get_num_threads(),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
