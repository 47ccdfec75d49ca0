{
  "targets": [
    {
      "target_name": "optvis_native",
      "sources": ["src/optvis_native.cc"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-O3", "-std=c++17", "-pthread", "-ffp-contract=off"],
      "ldflags": ["-pthread"]
    }
  ]
}
