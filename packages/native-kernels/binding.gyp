{
  "targets": [
    {
      "target_name": "carl_native_kernels",
      "sources": [
        "native/addon.cc",
        "native/adam_in_place.cc",
        "native/common.cc",
        "native/elementwise.cc",
        "native/fused.cc",
        "native/gemm.cc"
      ],
      "cflags!": ["-fno-exceptions", "-O2"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-O2"],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-math-errno", "-fno-trapping-math", "-fvisibility=hidden"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17", "-fno-math-errno"],
        "MACOSX_DEPLOYMENT_TARGET": "11.0"
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "AdditionalOptions": ["/O2", "/std:c++17"] }
      }
    }
  ]
}
