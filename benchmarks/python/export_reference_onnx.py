#!/usr/bin/env python3
"""Exports the PyTorch reference encoder (../shared/reference/torch_tiny_encoder_step.py) to ONNX, for the
onnxruntime-node peer of `npm run bench:throughput`.

The model definition is taken from the reference script itself (everything before its training loop), so
the exported graph is the same encoder PyTorch is timed on: token + position embeddings, LayerNorm, post-LN
layers with erf GELU, masked mean pooling and L2 normalisation. Inference mode (dropout off).

Usage: SHAPE=vocab,hidden,heads,ffn,layers,seq,batch /usr/bin/python3 export_reference_onnx.py REFERENCE OUT.onnx
Prints one JSON line: {"onnx": OUT, "bytes": …, "torch": version}.
"""
import json, os, sys

reference, out = sys.argv[1], sys.argv[2]
src = open(reference).read()
head = src[: src.index("enc = Encoder()")]
sys.argv = [reference, "1", "1"]
g = {"__name__": "carl_reference"}
exec(compile(head, reference, "exec"), g)
torch = g["torch"]
enc = g["Encoder"]()
enc.eval()
ids = torch.randint(1, g["V"], (g["B"], g["S"]))
mask = torch.ones(g["B"], g["S"])
with torch.no_grad():
    torch.onnx.export(enc, (ids, mask), out, input_names=["input_ids", "attention_mask"], output_names=["embeddings"], opset_version=14)
print(json.dumps({"onnx": out, "bytes": os.path.getsize(out), "torch": torch.__version__}))
