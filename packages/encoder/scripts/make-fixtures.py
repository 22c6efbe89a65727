#!/usr/bin/env python3
"""Regenerates src/__fixtures__/tiny-roberta and src/__fixtures__/dtypes: reference values computed
independently of the TypeScript code, with PyTorch (Debian's python3-torch; run with /usr/bin/python3).

tiny-roberta: a random RoBERTa checkpoint (HF names, `roberta.` prefix, MLM head `lm_head.*`) and the
outputs of a plain-PyTorch forward pass written from transformers' modeling_roberta.py (eval mode):
position ids from `create_position_ids_from_input_ids`, exact-erf GELU, layer norm eps 1e-5, the LM head.
dtypes: float32 values and their float16 / bfloat16 encodings as produced by torch's own casts.
The safetensors files are written here by hand (header JSON + raw little-endian bytes), not by our writer.

Usage: /usr/bin/python3 packages/encoder/scripts/make-fixtures.py
"""
import json, math, os, struct
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'src', '__fixtures__')


def write_safetensors(path, tensors):
    header, blobs, offset = {'__metadata__': {'format': 'pt'}}, [], 0
    for name, (dtype, t) in tensors.items():
        data = t.contiguous().view(torch.uint8).numpy().tobytes() if dtype in ('F16', 'BF16') else t.contiguous().numpy().tobytes()
        header[name] = {'dtype': dtype, 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def tiny_roberta():
    torch.manual_seed(7)
    V, H, L, NH, FF, P, PAD, EPS = 40, 8, 2, 2, 20, 20, 1, 1e-5
    d = os.path.join(OUT, 'tiny-roberta')
    os.makedirs(d, exist_ok=True)
    cfg = dict(architectures=['RobertaForMaskedLM'], model_type='roberta', vocab_size=V, hidden_size=H, num_hidden_layers=L,
               num_attention_heads=NH, intermediate_size=FF, hidden_act='gelu', hidden_dropout_prob=0.1,
               attention_probs_dropout_prob=0.1, max_position_embeddings=P, type_vocab_size=1, layer_norm_eps=EPS,
               pad_token_id=PAD, bos_token_id=0, eos_token_id=2, initializer_range=0.02)
    json.dump(cfg, open(os.path.join(d, 'config.json'), 'w'), indent=2)
    r = lambda *s: torch.randn(*s) * 0.5
    w = {}
    w['roberta.embeddings.word_embeddings.weight'] = r(V, H)
    w['roberta.embeddings.position_embeddings.weight'] = r(P, H)
    w['roberta.embeddings.token_type_embeddings.weight'] = r(1, H)
    w['roberta.embeddings.LayerNorm.weight'] = 1 + 0.1 * torch.randn(H)
    w['roberta.embeddings.LayerNorm.bias'] = 0.1 * torch.randn(H)
    for i in range(L):
        p = f'roberta.encoder.layer.{i}.'
        for n in ('query', 'key', 'value'):
            w[p + f'attention.self.{n}.weight'] = r(H, H)
            w[p + f'attention.self.{n}.bias'] = 0.1 * torch.randn(H)
        w[p + 'attention.output.dense.weight'] = r(H, H)
        w[p + 'attention.output.dense.bias'] = 0.1 * torch.randn(H)
        w[p + 'attention.output.LayerNorm.weight'] = 1 + 0.1 * torch.randn(H)
        w[p + 'attention.output.LayerNorm.bias'] = 0.1 * torch.randn(H)
        w[p + 'intermediate.dense.weight'] = r(FF, H)
        w[p + 'intermediate.dense.bias'] = 0.1 * torch.randn(FF)
        w[p + 'output.dense.weight'] = r(H, FF)
        w[p + 'output.dense.bias'] = 0.1 * torch.randn(H)
        w[p + 'output.LayerNorm.weight'] = 1 + 0.1 * torch.randn(H)
        w[p + 'output.LayerNorm.bias'] = 0.1 * torch.randn(H)
    w['lm_head.dense.weight'] = r(H, H)
    w['lm_head.dense.bias'] = 0.1 * torch.randn(H)
    w['lm_head.layer_norm.weight'] = 1 + 0.1 * torch.randn(H)
    w['lm_head.layer_norm.bias'] = 0.1 * torch.randn(H)
    w['lm_head.bias'] = 0.1 * torch.randn(V)
    write_safetensors(os.path.join(d, 'model.safetensors'), {k: ('F32', v) for k, v in w.items()})
    # A byte-level BPE vocabulary (tokens are placeholders: the fixture checks arithmetic, not tokenisation).
    vocab = {'<s>': 0, '<pad>': 1, '</s>': 2, '<unk>': 3, '<mask>': 4}
    for i in range(5, V):
        vocab[f'tok{i}'] = i
    json.dump(vocab, open(os.path.join(d, 'vocab.json'), 'w'))
    open(os.path.join(d, 'merges.txt'), 'w').write('#version: 0.2\n')

    ids = torch.tensor([[0, 10, 11, 12, 2, 1, 1], [0, 20, 21, 22, 23, 24, 2], [0, 30, 2, 1, 1, 1, 1]])
    mask = (ids != PAD).long()
    # transformers' create_position_ids_from_input_ids
    pos = (torch.cumsum(mask, dim=1).type_as(mask) * mask).long() + PAD
    g = lambda n: w[n]
    x = g('roberta.embeddings.word_embeddings.weight')[ids] + g('roberta.embeddings.position_embeddings.weight')[pos] \
        + g('roberta.embeddings.token_type_embeddings.weight')[torch.zeros_like(ids)]
    x = F.layer_norm(x, (H,), g('roberta.embeddings.LayerNorm.weight'), g('roberta.embeddings.LayerNorm.bias'), EPS)
    ext = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
    B, S = ids.shape
    dh = H // NH
    for i in range(L):
        p = f'roberta.encoder.layer.{i}.'
        lin = lambda t, n: F.linear(t, g(p + n + '.weight'), g(p + n + '.bias'))
        heads = lambda t: t.view(B, S, NH, dh).permute(0, 2, 1, 3)
        q, k, v = heads(lin(x, 'attention.self.query')), heads(lin(x, 'attention.self.key')), heads(lin(x, 'attention.self.value'))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh) + ext, dim=-1)
        ctx = (att @ v).permute(0, 2, 1, 3).reshape(B, S, H)
        h = F.layer_norm(lin(ctx, 'attention.output.dense') + x, (H,), g(p + 'attention.output.LayerNorm.weight'), g(p + 'attention.output.LayerNorm.bias'), EPS)
        inner = F.gelu(lin(h, 'intermediate.dense'))
        x = F.layer_norm(lin(inner, 'output.dense') + h, (H,), g(p + 'output.LayerNorm.weight'), g(p + 'output.LayerNorm.bias'), EPS)
    t = F.gelu(F.linear(x, g('lm_head.dense.weight'), g('lm_head.dense.bias')))
    t = F.layer_norm(t, (H,), g('lm_head.layer_norm.weight'), g('lm_head.layer_norm.bias'), EPS)
    logits = t @ g('roberta.embeddings.word_embeddings.weight').T + g('lm_head.bias')
    rnd = lambda t: [round(float(v), 7) for v in t.flatten()]
    json.dump({'note': 'plain PyTorch RoBERTa (transformers modeling_roberta semantics), eval mode; see scripts/make-fixtures.py',
               'input_ids': ids.tolist(), 'attention_mask': mask.tolist(), 'position_ids': pos.tolist(),
               'last_hidden_state_shape': list(x.shape), 'last_hidden_state': rnd(x),
               'logits_shape': list(logits.shape), 'logits': rnd(logits)},
              open(os.path.join(d, 'expected.json'), 'w'))


def dtypes():
    d = os.path.join(OUT, 'dtypes')
    os.makedirs(d, exist_ok=True)
    vals = torch.tensor([0.0, -0.0, 1.0, -2.5, 3.14159265, 65504.0, 70000.0, 1e-8, 6.1e-5, 5.96e-8, 2.98e-8, -1e-3,
                         float('inf'), float('-inf'), 1.0009765625, 1.00048828125, 1.00146484375, 123456.789, 1.00390625, 1.005859375])
    h, b = vals.half(), vals.bfloat16()
    write_safetensors(os.path.join(d, 'dtypes.safetensors'), {'f32': ('F32', vals), 'f16': ('F16', h), 'bf16': ('BF16', b)})
    # Note the order above is F32, F16, BF16 on purpose: readers must follow data_offsets, not assume an order.
    as_list = lambda t: [('inf' if v == math.inf else '-inf' if v == -math.inf else v) for v in t.float().tolist()]
    json.dump({'f32': as_list(vals), 'f16_as_f32': as_list(h), 'bf16_as_f32': as_list(b),
               'f16_bits': h.view(torch.int16).tolist(), 'bf16_bits': b.view(torch.int16).tolist()},
              open(os.path.join(d, 'expected.json'), 'w'))


if __name__ == '__main__':
    tiny_roberta()
    dtypes()
    print('written to', os.path.normpath(OUT))
