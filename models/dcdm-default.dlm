dealii-learned-model 2
architecture multilevel-message-passing
hidden 8
strength_threshold 0x1p-2
max_aggregate_size 4
coarsest_size 64
max_levels 25
prolongation_damping 0x1.5555555555555p-1
normalize_spectrum 1
prolongation_truncation 0x0p+0
prolongation_max_entries 5
pre_layers 1
post_layers 1
coarse_layers 4
cycle_index 1
krylov_cycle 0
meta configuration 2ae0e30353c77821
meta dimension 2
meta epochs_completed 20
meta fe_degree 1
meta final_loss 0.101
meta last_epoch_loss 0.101
meta problem jump-coefficient
meta seed 1
meta trained yes
meta training_loss solver:6
meta training_matrices 44
meta training_problems jump-coefficient:2d:q1,random-coefficient:2d:q1,jump-coefficient:2d:q2,jump-coefficient:3d:q1,elasticity:2d:q1,elasticity:3d:q1
parameters 103
-0x1.b31ddced9428bp-2
0x1.f3b8568d0a078p-2
0x1.deb3926f12ed2p-1
-0x1.0aa93f3a3549bp-2
-0x1.b7b296615dca9p-2
0x1.6b8c98db56053p-3
-0x1.8c0f35d0d9fbdp-1
0x1.c0bc2e6fc1c34p-2
-0x1.e94dac6267307p-2
0x1.7ddbd5211b171p-3
-0x1.92442d4af2eefp-1
0x1.2cfa661306c95p-2
-0x1.55c802c97a7c6p-1
0x1.285ef8038680ep-2
-0x1.a58fc95a0ea0ep-2
0x1.be841dc4d4e1dp-2
-0x1.e7dfde0cfcc23p-2
0x1.c0e15230658d4p-1
-0x1.72baecae0d36dp-2
0x1.1fb05a77cefb8p-1
-0x1.3ca0c507b9c0dp-2
-0x1.f7aacbaa144d5p-2
-0x1.718cd6c93df3cp-2
0x1.b70b193590d81p-2
0x1.4e005cb395783p-3
0x1.7add76756ebcep-2
-0x1.8b471886dab81p-6
-0x1.440c84819771ep-3
-0x1.7d027fa00ed8ap-5
-0x1.0623736b2f3e3p-2
-0x1.5fe41e1ae9f7fp-3
-0x1.b8e87aae8aaf3p-2
0x1.36373e83b72c4p+0
-0x1.76d9cdc6f1cadp-2
-0x1.f9e25142a5688p-1
0x1.fec6a5cb0b99bp-2
0x1.5b658d0640c3fp-1
-0x1.1bd09ead8037bp-1
-0x1.abd82d63021edp-1
0x1.d29a1aadd744ep-2
0x1.74c5a5014e96p-1
-0x1.fa0d9c0c3d771p-3
-0x1.e739922a15b5p-1
0x1.411c227122693p-1
0x1.18af1173e7503p-1
-0x1.053efe4a0fd45p-2
-0x1.a305b8581fc0bp-2
0x1.3fbe9c95569d6p-1
-0x1.79a0de02bea05p-2
0x1.88ce9188b32c8p-2
-0x1.1c3ab9a6bf154p-2
0x1.cd24bc172341ap-2
-0x1.4d4db40a54b97p-4
-0x1.a406f12122be8p-3
-0x1.3e1730a1c04ecp-1
0x1.d0d815981a99ep-3
0x1.c71f6efa90ccp-2
0x1.f1dc43ac43a34p-2
-0x1.a5b70e444504cp-2
0x1.766ae6ac4459cp-1
-0x1.4100b069a3709p-2
0x1.36d817bbe9c24p-3
-0x1.64621b6787dadp-1
0x1.2e9c910af3ebep-1
-0x1.9c6cd4903a84fp-2
-0x1.17c5bc1cee69ap-1
0x1.280476465612fp+0
-0x1.a6fd8668272bfp-4
0x1.ac67a3ea942b1p-1
0x1.673409d51c74ep-5
0x1.b6b568ad15d8p-1
0x1.02170d9d75b64p-3
-0x1.e8355964077d4p-1
0x1.a79f5ec17f19bp-1
-0x1.cfc3e22dd2b5fp-1
0x1.82a85c541be18p-2
0x1.6be8d531b60abp-2
-0x1.008a03b74ff3cp-1
0x1.9b667d8d025f3p-1
-0x1.7a43ca51aeecp-3
-0x1.d9b4f58cb7p-1
0x1.b197f5dab65bp-1
-0x1.b27b657980a43p-1
0x1.8965c39028983p-2
0x1.d5d63e072e848p-3
-0x1.011e5c842424ep-4
0x1.084167b32e61cp-3
-0x1.2818cce44869bp-3
0x1.4c6ac75cbc671p-4
0x1.7e1a4f0b26a97p-3
0x1.097eabf3a5d74p-4
-0x1.28fc962ab51d3p-4
0x1.bec2570ab86cfp-3
0x1.b230ee3867b5dp-3
-0x1.11c402b5b03cep-1
-0x1.08330bbd8e9a8p-2
0x1.40768363637d4p-3
0x1.1634d3ddd8501p-2
-0x1.713aa34c515d2p-1
-0x1.53050b1574254p-2
0x1.4f904ce2d5272p+0
-0x1.69447528ae66bp-2
0x1.14b64237e19b6p+0
end
