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
meta dimension 2
meta epochs_completed 30
meta fe_degree 1
meta final_loss 0.0128
meta last_epoch_loss 0.0167
meta problem jump-coefficient
meta seed 1
meta trained yes
meta training_matrices 6
parameters 103
-0x1.98e5d49eb3943p-3
0x1.0ae7426dbf812p-1
0x1.7976105896944p+0
-0x1.98870c6831af5p-1
-0x1.b7279212c6c77p-1
0x1.8f503d861f87p-3
-0x1.7d1789057ec32p-1
0x1.177be6033420ep+0
-0x1.8da624af04ccdp-1
0x1.ef58f305e019fp-3
-0x1.f59b6701b914bp-1
0x1.c871ac5bb1e4p-1
-0x1.7fad682a17e39p-1
0x1.99f512549fd52p-2
-0x1.97b141846d26bp-1
0x1.3acc80efef7cp-1
-0x1.237fdebdd70e8p-4
0x1.41ed8b36588c2p-2
-0x1.637cfe35ca0acp-4
0x1.740cfb7fa6907p-3
-0x1.82d41ddfa6fafp-4
0x1.5f59f274faa39p-5
0x1.2a751a2d645f9p-3
0x1.66e7ade6412e8p-4
-0x1.99d4e79b15a96p-6
0x1.bfdcb4a338a66p-2
-0x1.1b6bb6f9bf71ap-3
-0x1.8c7b99f5178e1p-2
-0x1.69ef01a57f84dp-3
-0x1.2666c277ddee9p-2
-0x1.805ea8fa4975dp-3
-0x1.32da4152e1107p-2
0x1.6bece43994c5dp+0
-0x1.a677dc949fb5dp-2
-0x1.3a391fd7769dbp-1
0x1.25ef5611ffd26p-2
0x1.88f6f7a9710c8p-1
-0x1.5470de63c84bcp-1
-0x1.8819d1b8dd5fep-1
0x1.b54960e469495p-2
0x1.e4e3716390b5ep-2
0x1.709ec5ebdc033p-4
-0x1.2cbc1643454a1p-2
0x1.716fa7904f821p-3
0x1.27e8d3476653dp-1
-0x1.0a19107b35b68p-1
-0x1.77918695b03e1p-1
0x1.948f5a6e57c54p-1
-0x1.3b70ca3c8996cp-1
0x1.4ce76b5da7edap-1
0x1.1ab68429ab9f3p-4
0x1.644c279f1b8fbp-3
0x1.f7d5f15eb943dp-4
0x1.eb7e4d5d6ad25p-4
-0x1.7a14f6c1f5bd4p-5
0x1.b9d8bd2036b92p-4
0x1.dab2f3c843025p-4
0x1.9239d0af8d615p-4
-0x1.43f847c5708cfp-4
0x1.0d0b23e29b341p-2
-0x1.f91bbe512beb2p-4
0x1.357b6e8efee94p-4
-0x1.2a1089c44602fp-5
0x1.b7b0dc3ad5a48p-3
-0x1.1a9e32f006263p-2
-0x1.b7722ccff1195p-3
0x1.2a70f213bd807p+0
-0x1.8a5adbf40fe4dp-3
0x1.357bd0a022dc7p-1
0x1.74ef9a8656ebfp-2
0x1.243220e3bb8e4p+0
-0x1.3e9e72575b69ap-3
-0x1.0db1be2021be8p+0
0x1.8444a8b8a85cap-1
-0x1.ec88ba23c4cbcp+0
0x1.c9fa59cf80a88p-1
-0x1.1661061e87bbdp+0
0x1.51fdce90beaf6p-1
0x1.d755a0674a32cp+0
-0x1.f0ea4a2029a6p-2
-0x1.5d665d159cb94p-1
0x1.05cd9848f7981p-2
-0x1.5d810b17ce1b5p-4
0x1.88e4884dbd268p-4
-0x1.0cd06bd357b62p-5
0x1.5f5ef9d23d439p-11
-0x1.2eda2a86ca699p-7
-0x1.a58b98d7ddedep-8
-0x1.6f929e588cbabp-4
-0x1.338297742d344p-5
-0x1.60635d7404985p-4
-0x1.46f77c8f81f98p-3
0x1.012d27849d53ap-7
0x1.c55724a4b8f37p-4
-0x1.38b73ab8818aap-4
-0x1.1eff5f763eda8p-2
-0x1.e8ba4fceb8701p-3
0x1.1aa1f347fc5bdp-3
-0x1.da3d2f9c3f1cap-4
0x1.df454e2da9487p-6
0x1.7f4169be7fa41p+0
-0x1.c39b5d89f191cp-2
0x1.1af858d7b5ab6p+0
end
