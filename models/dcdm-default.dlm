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
meta final_loss 0.0323
meta last_epoch_loss 0.0377
meta problem jump-coefficient
meta seed 1
meta trained yes
meta training_matrices 12
parameters 103
0x1.82eceba9b51c6p-10
0x1.0e74de848b51ep-1
0x1.579d2adc0e11ap+0
-0x1.02c7ee62c33d1p-1
-0x1.634b57450faf7p-1
0x1.f164e804ab91p-5
-0x1.9c4c7619e430ap-1
0x1.e725a2f6eb2bp-1
-0x1.190c1067e035ep-1
0x1.5873df45b7532p-3
-0x1.b3b104ce4fc6cp-1
0x1.a00927263e56cp-2
-0x1.ab37efc6cfc86p-1
0x1.89d3bdee4f72bp-2
-0x1.9a4e84069b5aap-1
0x1.5d62669f9126cp-1
-0x1.bebe8f0de6ce7p-3
0x1.be586e3d9fb9cp-2
0x1.26fc8e3c6a239p-3
0x1.329c810153e2cp-2
0x1.dd704a35e179p-4
0x1.d818a44912825p-3
0x1.6203fd24e922ap-3
0x1.36ca70518c66p-5
-0x1.ae192efed5757p-4
0x1.bd11f98b0fbe8p-2
-0x1.2315f4b582b0dp-4
-0x1.54072012422c2p-1
-0x1.06509a7a0bc93p-4
-0x1.0a1a4b0f883b1p-2
-0x1.acbce2f84b3b1p-3
-0x1.20af53d5e8a52p-1
0x1.3e819ca62d2f2p+0
-0x1.274327a2fcaf5p-2
-0x1.986dae24ecc39p-2
0x1.3dd81e027217fp-2
0x1.7a538d33002fep-1
-0x1.1b5967b960aaep-1
-0x1.329ede231163fp-1
0x1.af64aefa3e0bfp-2
0x1.865ff25e0c146p-3
0x1.122ea848be8ebp-5
-0x1.76a0e5913b98p-2
0x1.7b3efdb424af6p-3
0x1.0e885b4cb33dep-3
-0x1.40136706733dep-4
-0x1.3c621f8dd4855p-1
0x1.3743c3b8a7f59p-1
-0x1.265810accf084p-1
0x1.08b2ce6e096dbp-1
0x1.2cb42f17ca49fp-4
0x1.16e27e7f51b92p-2
0x1.7d567b6714326p-3
0x1.3ecff0c8af4a6p-4
-0x1.b568e27fdec15p-5
-0x1.84d18a00e14aep-3
0x1.a46ba4a249428p-3
0x1.bb20b04748ac8p-3
-0x1.0108279d7f2e8p-4
0x1.1e10d289351ddp-1
-0x1.30660b0bd0abap-3
0x1.d8907ecb2e4dap-9
-0x1.d10a93e33f1b4p-4
0x1.95095ae4e44e1p-6
-0x1.2a7cb864f8389p-2
-0x1.4874255e7f2ddp-2
0x1.0746c647796b4p+0
-0x1.d05328eae4daep-4
0x1.81c60d91b2019p-1
0x1.55ee62eda6316p-3
0x1.ee4fd7e957fe6p-2
0x1.5d6c01edeb9bcp-1
-0x1.8a5e55a376bf6p-1
0x1.b007dd8e6e7efp-2
-0x1.b758d8943e188p-2
0x1.e71e00390fae1p-3
-0x1.4300431580e22p-1
-0x1.59c4a4e744027p-2
0x1.12b0c6b8a67adp-1
0x1.0f815d3b3a9c7p-1
-0x1.526d6b226a0bep-1
-0x1.7db3fb368d252p-2
0x1.ac82074729af6p-4
0x1.671521aded10fp-1
0x1.356adf6ec5a75p-3
-0x1.03d5dc85a6d2p-1
0x1.8ad4a930e962dp-4
-0x1.42aff64bfa691p-5
0x1.8c8b294c79eb4p-5
-0x1.fefd1334cae05p-2
-0x1.4467e87e6f66p-1
-0x1.135e9996f54ffp-2
-0x1.cd6f194eed79ap-3
0x1.c26b0791f569cp-2
0x1.9ce7016b8b676p-3
0x1.9749d43cc565fp-5
0x1.c7c58eb831b3fp-4
0x1.ea9d3a2293681p-2
-0x1.e681be72cc39p-1
0x1.f9f00ac1f167ap-2
0x1.111faf8b19605p-2
-0x1.c3b3d47368b26p-7
0x1.21a645fc493e3p+0
end
