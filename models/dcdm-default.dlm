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
meta configuration 43c43a057843483c
meta dimension 2
meta epochs_completed 20
meta fe_degree 1
meta final_loss 0.0229
meta last_epoch_loss 0.0257
meta problem jump-coefficient
meta seed 1
meta trained yes
meta training_matrices 34
meta training_problems jump-coefficient:2d:q1,random-coefficient:2d:q1,jump-coefficient:2d:q2,jump-coefficient:3d:q1
parameters 103
-0x1.147530eb5029ap-1
0x1.44997eea0a1f8p-1
0x1.7533e1a817p+0
-0x1.58c114972439ep-1
-0x1.f9fc121105194p-1
0x1.0d8a41a2ee88ap-1
-0x1.f756501213355p-1
0x1.d247b32b31cc5p-1
-0x1.e3fa1cca922e4p-1
0x1.0f9c83e1e4a0cp-1
-0x1.0d7112c5bcbf8p+0
0x1.4c60cd46717d6p-1
-0x1.e3f2fd8ce4e2fp-1
0x1.26843f76a3885p-1
-0x1.8acbba38f8ea3p-1
0x1.5e509120c69bap-1
0x1.298795957561p-6
0x1.004c0e7ce727cp-2
0x1.b9c49f872481p-5
0x1.0b8cc1dfb11ffp-4
0x1.3d7e09730f813p-7
0x1.454968cce9c36p-4
0x1.5a4aaea04708bp-4
0x1.1333405092525p-4
-0x1.5849514c16a89p-5
0x1.3c73cd356bf7dp-2
-0x1.91bef6fe1166dp-4
-0x1.2977f46e8abdap-2
-0x1.b678c8f7ca7b1p-4
-0x1.c8f157cc36584p-3
-0x1.a689fa940ad02p-3
-0x1.7443d9dbf82dp-2
0x1.8b4d522b2fce8p+0
-0x1.f437b7239a068p-2
-0x1.c48893eb20ecep-2
0x1.dbd3cdaef0ea5p-4
0x1.97aae7f06f749p-1
-0x1.1073e052c94d1p-1
-0x1.530038a38d911p-1
0x1.96d43a7037476p-3
0x1.83a1adaa0aba5p-2
0x1.fbc25372aa867p-5
-0x1.5b2a0c8f9bad5p-1
0x1.c35d50ed2299ap-2
0x1.f0a092781209bp-2
-0x1.cafd9881eabebp-3
-0x1.2bae404791851p-1
0x1.2c6eb9bff68f8p-1
-0x1.0ae703b18311ap-1
0x1.b0cbd3308c9a8p-2
0x1.92ecb56410f0ep-6
0x1.6da23fec314d6p-3
0x1.882bba9f354cfp-4
0x1.a83b3b7d32b58p-4
-0x1.80f74b6215eap-4
0x1.08015f776bb5dp-4
0x1.e4de13437081cp-4
0x1.cd972281ee41fp-4
-0x1.13a34d487729cp-6
0x1.47605a126babep-2
-0x1.893f35d0ebcbep-4
0x1.08e51f3ba96d3p-5
-0x1.9c653cc1bddaap-2
0x1.ab84da831fc2bp-3
-0x1.2324331349615p-2
-0x1.0a56ecf13f48ap-2
0x1.1a3749e1fb573p+0
-0x1.b505ab24c5854p-3
0x1.5bce3e3d5feeap-1
0x1.585938afda125p-6
0x1.791029322425cp-1
-0x1.0166b814a0f35p-4
-0x1.fcee63ab4e9f2p-1
0x1.a212cdf34b644p-1
-0x1.6a08c5629b56bp-1
0x1.06fb361101b55p-7
-0x1.c1228a32f8523p-3
-0x1.60ce4651ff5a6p-3
0x1.d3a519ea485fcp-1
-0x1.19527c40a97c3p-2
-0x1.a62ab2eb523b8p-1
0x1.73fbde5b56ba2p-2
-0x1.6fa2c642e72a9p-3
0x1.521ee8393a2d2p-1
0x1.2b5020bfa63cbp-4
0x1.fe996b789a55bp-4
0x1.c8eca72a96ffep-3
-0x1.f9eb541c49cdcp-4
-0x1.0c976b0d94332p-3
0x1.531f39096611cp-2
0x1.64a698599eeeap-4
-0x1.c700350526d37p-5
0x1.57997178f7a2dp-3
0x1.93cb2288c7a63p-3
-0x1.5ca7da5c11f23p-1
-0x1.924c877f4385cp-3
-0x1.9b62ea53f5f1ep-13
0x1.06da3221c8254p-1
-0x1.d137013bc24b8p-2
-0x1.c6a5d668a180ap-2
0x1.c91e0cec3e80fp-1
-0x1.4605478c4a331p-3
0x1.142a9e24dd703p+0
end
