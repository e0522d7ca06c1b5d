dealii-learned-model 1
architecture multilevel-message-passing
hidden 8
strength_threshold 0x1p-2
max_aggregate_size 4
coarsest_size 64
max_levels 25
prolongation_damping 0x1.5555555555555p-1
pre_layers 1
post_layers 1
coarse_layers 4
cycle_index 2
meta configuration c48441761addd2fd
meta dimension 2
meta epochs_completed 20
meta fe_degree 1
meta final_loss 0.0334
meta last_epoch_loss 0.0352
meta problem jump-coefficient
meta seed 1
meta trained yes
meta training_matrices 12
parameters 103
-0x1.cb4fdfdda483bp-4
0x1.6d5a7b0d5277cp-1
0x1.91fec2b8ff0afp+0
-0x1.55e54e255fcd6p-1
-0x1.48bc2ba38ba3bp-1
0x1.d2eea26457d12p-7
-0x1.b8aea41b4a909p-1
0x1.05129a63db0f1p+0
-0x1.06b02f622e54p-1
0x1.c5dbe4399b5d4p-4
-0x1.e31c7a0b8b3eep-1
0x1.c201f82ef99ep-2
-0x1.ca8c8bc3fb89ap-1
0x1.b59aaa35546aep-2
-0x1.99542ae68ff37p-1
0x1.519c3f114e7f2p-1
-0x1.cd4508480ecb3p-3
0x1.6c07dd1241007p-2
0x1.cf01f6c31c93cp-6
0x1.7731efd4f540bp-3
-0x1.f8ac9aab6f8dap-5
0x1.b0a20f4746da7p-4
0x1.c9636480f5d57p-5
0x1.3140e3a7ca2c7p-3
-0x1.bd7aeaa6df211p-3
0x1.bdf74a695f783p-2
-0x1.2b28bce1bc95ap-7
-0x1.4632a7955d593p-1
-0x1.a62c4edcd0c59p-5
-0x1.c1c4d5c5796d4p-3
-0x1.69395eb57ccaep-3
-0x1.56c45555a9964p-1
0x1.412d96cd400c9p+0
-0x1.396ac93389e92p-2
-0x1.a99b7d873ec8fp-2
0x1.38d2fa27ffeccp-2
0x1.759b8b5c4eba9p-1
-0x1.141da220f5bcap-1
-0x1.44a7c3a5dea4cp-1
0x1.9759c192570c1p-2
0x1.a1ee2418e021dp-3
0x1.9f91e2642e65ap-4
-0x1.2f74add96af0dp-2
0x1.25caf5acf6093p-3
0x1.1107fe73a0c57p-1
-0x1.ccfa46f16038ep-2
-0x1.42b0ed4f65b42p-1
0x1.4525a2ac29fd4p-1
-0x1.3495e8580fa3ep-1
0x1.0286dcb47fb61p-1
0x1.c75527e4273dp-5
0x1.042cb45b95d69p-2
0x1.62784f76561c3p-3
0x1.4e7d6ff4d0d2ap-7
-0x1.d958b83ff7a1ep-6
-0x1.faa8462f152b7p-4
0x1.2eb8c6e1415b5p-3
0x1.4bf32a5fbd0b2p-3
-0x1.9efa8a9777ed5p-5
0x1.0ccc398574f04p-1
-0x1.72fd335ef20acp-3
0x1.eb0a271527d5ap-9
-0x1.4099688a24454p-4
0x1.2891098138642p-1
-0x1.03fd8f0ded1acp-2
-0x1.a26e87d3ca757p-2
0x1.042c7d91859c3p+0
-0x1.b8aad1710c1eep-4
0x1.554a40ccdc603p-1
0x1.93930361afc45p-2
0x1.340e8c466fe1ep-1
0x1.3fc07b9f089efp-1
-0x1.43a016f22d1a9p-2
0x1.c2963ddad370ap-2
-0x1.329f44ca0e82ap-1
-0x1.f738d71258ee9p-2
-0x1.7fa9707361909p-1
-0x1.231cea46f7857p-1
0x1.310c41e1d7dddp-1
0x1.da09ab3d53754p-2
-0x1.2fc566061ee07p-1
-0x1.edd496c1887f2p-3
0x1.664cd594642b1p-4
0x1.9b0d12f08c4e8p-2
0x1.119b35ac65be8p-2
-0x1.8988cb3c6415dp-2
-0x1.c5102e0320acbp-4
-0x1.2b6b0a75bb9f3p-1
0x1.ddca05f0118f6p-3
-0x1.66db838dd955bp-2
-0x1.f6e4f6c7e285p-2
-0x1.ddca47a6e0b5fp-3
-0x1.c8ae914adebebp-3
0x1.4b87558bdd29fp-2
-0x1.8e0ab05d10caap-4
-0x1.c1d3e56e7735p-2
0x1.29ad2b9e00541p-2
0x1.3c699322ff55ep-2
-0x1.7f40480b24e29p-2
0x1.03bd9758e21acp-5
0x1.6a36969cfbcd3p-2
0x1.df12c762e5f15p-7
0x1.1f768f9f515fap+0
end
