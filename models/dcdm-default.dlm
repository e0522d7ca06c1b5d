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
meta configuration 01c0024417cea521
meta dimension 2
meta epochs_completed 20
meta fe_degree 1
meta final_loss 0.0193
meta last_epoch_loss 0.0198
meta problem jump-coefficient
meta seed 1
meta trained yes
meta training_matrices 12
parameters 103
-0x1.4dbf6ea2d88e6p-1
0x1.0b6e853de85dcp+0
0x1.73f3e8d8493d2p+0
-0x1.96834c27da402p-2
-0x1.b004a0ae3e9c1p-1
0x1.295267dd5093cp-8
-0x1.573a442cad6f8p+0
0x1.74f40a8ff494p+0
-0x1.7b7c47eee7a35p-1
0x1.ea56d5d1d9d52p-4
-0x1.190a4d2184998p+0
0x1.6768132a431a8p-1
-0x1.b738664c92b19p-1
0x1.1bcbf2fd706ebp-1
-0x1.353477103df45p-1
0x1.1306cbb3ca3d2p-1
0x1.9dda85855a717p-4
0x1.86ac0a4827164p-2
-0x1.3910085a42131p-6
0x1.2ff18d095d4b4p-3
-0x1.2216a15342d1p-4
0x1.cd1b6986f94b5p-6
0x1.8d9b6e9ab8ccep-4
0x1.687bea624bef4p-4
-0x1.2457ab3d26a7fp-2
0x1.63dcb57f06ddbp-2
-0x1.32c9aa1e0e748p-4
-0x1.8754359844089p-2
-0x1.05f285791d8aep-3
-0x1.7bb2a453d52fep-2
-0x1.30e794768f1bfp-2
-0x1.3c2a6a926c6f3p-2
0x1.44cadd4b24a0cp+0
-0x1.148517859682fp-2
-0x1.abb54705727c4p-2
0x1.29184abd5acc3p-3
0x1.3f630410b78c8p-1
-0x1.f95b6d8fbb77fp-2
-0x1.15d4c68c54919p-1
0x1.360fd429a4504p-2
0x1.8b9b74bed2392p-2
0x1.dfcb4ab5a68b9p-3
-0x1.728094a3dcb85p-2
0x1.4ba6928120aa1p-4
0x1.523a36aff7fe1p-2
-0x1.269bd314f451p-2
-0x1.2ae71cbd6eff9p-1
0x1.1a5abf06870f5p-1
-0x1.e6c16848442dfp-2
0x1.c67e4634e2ccp-2
0x1.c9a161b1af996p-4
0x1.dba97c33add5bp-3
0x1.750ea63610be8p-3
0x1.3df1f3c3f9573p-3
-0x1.8d61ed1a5aa4cp-5
0x1.b07a1bdb54bb8p-4
0x1.5b07d95407de5p-3
0x1.292e4fcdd6231p-3
-0x1.86256eb93b6afp-4
0x1.72ef9983f40a5p-2
-0x1.2ac61fcc2394cp-3
0x1.6b3a9356969bfp-4
-0x1.0aaf41db55465p-3
0x1.36b27a0fe414cp-2
-0x1.31ef964b30c54p-2
-0x1.1dafd122b03ebp-2
0x1.fe5f884c3f49fp-1
-0x1.91dec0bfff681p-4
0x1.14fcaef16c328p-4
0x1.019e899c8b745p-3
0x1.7851e4341525dp-3
0x1.ed79be47d85f2p-3
-0x1.d3ec2a6895ed9p-2
0x1.54b78f20d2784p-2
-0x1.2e9063b80927fp-1
-0x1.7ac8023e045d1p-2
-0x1.abe28906d3747p-2
-0x1.d47ba434fa785p-2
0x1.7db879decd89fp-2
0x1.03c37f46b15e9p-3
-0x1.0e17821f2c65ep-1
-0x1.dfe29e16533cfp-7
0x1.aa57712235ff4p-2
0x1.19ee94ac32982p-1
0x1.52fc2d07bd2c9p-5
0x1.6c0b6d3688dc4p-4
-0x1.fe5f1c25e31d2p-5
-0x1.52f8407ac842bp-2
0x1.9cc5f5ec14aa7p-4
-0x1.7d42b3c29e49bp-4
-0x1.1572154803d78p-2
-0x1.c6e1e1c0cac04p-2
-0x1.c8a220ef4d805p-6
-0x1.44a4e38c72fb7p-4
-0x1.1d8f78a5a6618p-5
-0x1.955b07bc5f1dp-3
0x1.279c67806e447p-3
0x1.67178e065cd34p-4
-0x1.933618d9ed352p-3
0x1.030f400f0f11bp-1
0x1.e9a65db0a75bap-2
-0x1.f0440755be44cp-4
0x1.14bc6ebc8b5f8p+0
end
