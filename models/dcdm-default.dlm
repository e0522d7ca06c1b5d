dealii-learned-model 2
architecture multilevel-message-passing
hidden 8
strength_threshold 0x1p-2
max_aggregate_size 4
coarsest_size 64
max_levels 25
prolongation_damping 0x1.5555555555555p-1
normalize_spectrum 1
pre_layers 1
post_layers 1
coarse_layers 4
cycle_index 1
krylov_cycle 0
meta configuration 56478a5d4535a55c
meta dimension 2
meta epochs_completed 20
meta fe_degree 1
meta final_loss 0.0222
meta last_epoch_loss 0.0235
meta problem jump-coefficient
meta seed 1
meta trained yes
meta training_matrices 34
meta training_problems jump-coefficient:2d:q1,random-coefficient:2d:q1,jump-coefficient:2d:q2,jump-coefficient:3d:q1
parameters 103
-0x1.0402ef80823f4p-1
0x1.e739bf62680efp-2
0x1.6c7db0438e453p+0
-0x1.4c98f02613605p-1
-0x1.fc85827c29e6p-1
0x1.007885fddf4fbp-1
-0x1.f2f6e2a933e0ep-1
0x1.d3b39cb38a42cp-1
-0x1.d2c102a68b227p-1
0x1.05004eff220fbp-1
-0x1.0c457d282148dp+0
0x1.4d3a69847a533p-1
-0x1.e4a80f3f1245ap-1
0x1.2924d510ca698p-1
-0x1.8d21e3c54918p-1
0x1.6337dbe8941d1p-1
-0x1.92fb817b06e1dp-3
0x1.06febffb15398p-2
0x1.9c393cb545657p-5
0x1.d411df38d2627p-5
0x1.2b90ee0737a86p-5
0x1.3c0ece637a566p-4
0x1.4d15921b11dc5p-4
0x1.f71ae371fc9f4p-5
-0x1.3f97a131b9384p-3
0x1.3a07722d1d08cp-2
-0x1.b56668ae80e61p-4
-0x1.32ef849a24004p-2
-0x1.e6b071f27c0e4p-4
-0x1.d23317e519cddp-3
-0x1.b28cee82dfd86p-3
-0x1.767d162b710a5p-2
0x1.8e79b78a98a58p+0
-0x1.ef7f83f3d2a8p-2
-0x1.c0568158bcc08p-2
0x1.2e7e90abdf071p-3
0x1.9d802ce4153f6p-1
-0x1.0b09c6ae0db05p-1
-0x1.5af98d47653ap-1
0x1.c670bd92f594ap-3
0x1.932031e4cbc5fp-2
0x1.b641c34bfc9cbp-4
-0x1.698c5ceba5338p-1
0x1.c892abb14ab0dp-2
0x1.de0954ab537bap-2
-0x1.c3d0ecb1ee1b8p-3
-0x1.2f935ded36ba7p-1
0x1.33c86ce25213bp-1
-0x1.0cbeb1cc0496ap-1
0x1.c7d321cfef8eep-2
0x1.40ea594954267p-6
0x1.68d8a4170272dp-3
0x1.82da69599fec6p-4
0x1.d47e25e5e7b9ap-4
-0x1.003eba09869dp-3
0x1.0bd256508eee7p-4
0x1.e198c6827aa47p-4
0x1.c7eabcdfac25ap-4
-0x1.4fb66a74bad25p-6
0x1.4730e7c4e979cp-2
-0x1.ade3c6fb337fbp-4
0x1.11b1602a2627bp-5
-0x1.fb93481370234p-2
0x1.b28378077bcc8p-3
-0x1.2597ccc6f43efp-2
-0x1.0e8ee24e8bd5p-2
0x1.190e1c105621fp+0
-0x1.9cdfd1d1c461dp-3
0x1.2056f1619aed3p-1
-0x1.b18a6ae107ef9p-7
0x1.482bb7a6aeb94p-1
-0x1.3e76cf2b83abfp-4
-0x1.e7557594b8313p-1
0x1.523545ab12398p-1
-0x1.78f9c69600e1dp-1
0x1.464df0ba37b53p-6
-0x1.17e57d9cfe50fp-2
-0x1.0f1c943ffc78cp-3
0x1.e49227493588p-1
-0x1.7fb41d1c75b68p-3
-0x1.ab63f651527fdp-1
0x1.707ab32f87d8p-2
-0x1.f69dc74a78a2cp-3
0x1.38629473ceefcp-1
0x1.0e9a79804b5p-12
0x1.6830936d75de2p-4
0x1.e2d281caf05dep-4
-0x1.3c6deb11d595p-3
-0x1.15d7ee09cd7b6p-3
0x1.ceb07ab562821p-3
0x1.bfdeefb2c01b8p-5
-0x1.94cbe8e28fb2cp-5
0x1.ce13e65b30725p-4
0x1.5b013b818157fp-3
-0x1.8c56580484b1ep-1
-0x1.9fcb8beda7497p-3
-0x1.4c50b76e3d1f6p-6
0x1.026cd3b119af9p-1
-0x1.cfcf7150f5d34p-2
-0x1.d50a5a73e9caap-2
0x1.e742a09c94a62p-1
-0x1.8695b8acde383p-3
0x1.13787af98851dp+0
end
