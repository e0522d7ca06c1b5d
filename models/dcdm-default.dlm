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
meta final_loss 0.0229
meta last_epoch_loss 0.0246
meta problem jump-coefficient
meta seed 1
meta trained yes
meta training_matrices 34
meta training_problems jump-coefficient:2d:q1,random-coefficient:2d:q1,jump-coefficient:2d:q2,jump-coefficient:3d:q1
parameters 103
-0x1.02fac8de93ed6p+0
0x1.488711dff1935p-1
0x1.9c858a22b04e6p+0
-0x1.893fdd160b3aap-1
-0x1.9c33eed1dfe3p-1
0x1.78051652e8e28p-2
-0x1.134b2396a5777p+0
0x1.df308ee233553p-1
-0x1.6807fc6aecb3ap-1
0x1.4f3567101c36ap-2
-0x1.17b645b2befcdp+0
0x1.549e1c6c7aafdp-1
-0x1.ce0850388065bp-1
0x1.117b287703e7ap-1
-0x1.770078526e482p-1
0x1.4ad970747c335p-1
-0x1.7682cb5a7e1b5p-6
0x1.e4e000c9046f4p-3
0x1.42c19c502fc4ap-5
0x1.85bea3fea414ep-4
-0x1.3cda73c1bfa8bp-5
0x1.228b6fe990a9bp-4
0x1.6a23b99d5b5e8p-4
0x1.f25c7b07f48aep-5
-0x1.12b1839f276a3p-2
0x1.639a4e3cc5185p-2
-0x1.f77611421756ap-5
-0x1.46bbcbb59a059p-2
-0x1.5a1f6f93656cep-4
-0x1.0d71cf7f2df8ap-2
-0x1.402ec0e452596p-3
-0x1.c62c82ca5035ep-2
0x1.73500b0a76f6fp+0
-0x1.d659d928d2e43p-2
-0x1.19ad4b3915525p-1
0x1.4758baa055f94p-3
0x1.b5f54cd0411edp-1
-0x1.3bbefaceba9b7p-1
-0x1.6f1f4c0783f69p-1
0x1.0a3b0dd8269b1p-2
0x1.13b73d00e9b1dp-1
0x1.44243f449e68ep-5
-0x1.453af9921c77ap-1
0x1.c983d92af81a3p-2
0x1.2909808d8961ap-1
-0x1.909ad7143ecf8p-2
-0x1.3b15f1ba1902fp-1
0x1.433d54a85582cp-1
-0x1.0c1c69dafcd8ep-1
0x1.f5d7541f3539cp-2
0x1.049d536beb6cp-5
0x1.9e79f3063a9c3p-3
0x1.7882454d4cec5p-4
0x1.2692dbfcbac0dp-3
-0x1.984cf652cd28p-4
-0x1.bd75302f8adfcp-6
0x1.dcd6f26d5a93dp-4
0x1.9c71864048252p-4
-0x1.90fdb90624e1ap-5
0x1.3fcb8580fb78bp-2
-0x1.cb8b276a672aap-4
0x1.2f80a55c758f6p-4
-0x1.f09a8a15a688bp-2
0x1.376e6cd2534a5p-2
-0x1.2e1da1ad70f2cp-2
-0x1.11ddc4c9b3056p-2
0x1.24eb8d4d1cb9cp+0
-0x1.b8de1d7379a3cp-3
0x1.66bf07eb51096p-1
-0x1.3e313dec612b8p-3
0x1.e6f30dd3dcc23p-1
-0x1.a715c72038ecap-4
-0x1.a06590cc5584dp-1
0x1.0df39a6169767p-1
-0x1.87cf076fd465p-1
0x1.48a811a063715p-3
-0x1.c21a2eac9ef96p-2
0x1.294a00f4e3919p-4
0x1.f1c18593d38f3p-1
-0x1.0aa08211a17afp-2
-0x1.b4700a57ad20dp-1
0x1.5459b03a313acp-2
-0x1.2818bb9fde48dp-1
0x1.002fc82943addp-1
0x1.6f8a3351ec069p-2
0x1.ff151bc1d7775p-5
0x1.2d130ed16c291p-4
0x1.8fe5cffa3e178p-5
-0x1.ef889e18f7e63p-4
0x1.266447d9fe5e8p-3
0x1.a54825f3a51fcp-7
0x1.f2a62b71e0293p-4
0x1.fa2bf1110cc4cp-3
0x1.2b3d2b1668123p-2
-0x1.a54f3224667bbp-2
-0x1.985085f60b3b6p-3
-0x1.1557ef83fd849p-4
0x1.a7dd6817e558cp-2
-0x1.5f66ca5eebb54p-2
-0x1.324d474f3d73fp-1
0x1.ce4edad86a6f5p-1
-0x1.fee87d4972012p-3
0x1.15a797826fa05p+0
end
