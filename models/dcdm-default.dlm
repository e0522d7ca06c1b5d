dealii-learned-model 1
architecture multilevel-message-passing
hidden 8
strength_threshold 0x1p-2
max_aggregate_size 4
coarsest_size 64
max_levels 25
pre_layers 1
post_layers 1
coarse_layers 4
meta dimension 2
meta epochs_completed 30
meta fe_degree 1
meta final_loss 0.0373
meta last_epoch_loss 0.0384
meta problem jump-coefficient
meta seed 1
meta trained yes
meta training_matrices 6
parameters 103
-0x1.72a2969bdde7fp-1
0x1.3c53a2176dd6dp+0
0x1.07c14dd4151cdp+1
-0x1.39300e8352fd9p+0
-0x1.1ee69eba41f56p+0
0x1.4f12131a96cc1p-1
-0x1.6ff75629f27dfp-1
0x1.35e7cf8384ff1p+0
-0x1.54e48b1d06108p+0
0x1.41ceac9c20c8bp-1
-0x1.1560d2c1ddee3p+0
0x1.829819f071044p-1
-0x1.f93de99a1a8e3p-1
0x1.5869cbd2fa906p-1
-0x1.3070a95e80e1ap-1
0x1.007315c94f417p+0
0x1.e032f6f9563a4p-3
0x1.61f94c49b8d66p-2
-0x1.373692ee65efp-3
0x1.c78c311ac503fp-3
-0x1.d4284adf038d4p-3
0x1.916f7d58cb14p-4
0x1.a34fc75484afp-4
0x1.7c0ea11635732p-3
-0x1.e9dc1b1188af1p-2
0x1.9fd2791d8d2cep-1
-0x1.45bbc010bf68p-2
-0x1.424bf7050fdacp-2
-0x1.19be29bb177f9p-1
-0x1.7b442f86ab19cp-2
-0x1.be4b290605c83p-3
-0x1.4f8bacb726463p-2
0x1.8e274bb9d75fcp+0
-0x1.65cc5917091eap-1
-0x1.ded345d5aaeefp-2
0x1.943c2f12d99d7p-2
0x1.7fca9354b5dc2p-1
-0x1.15401eeccf7a3p-1
-0x1.536566f555e6ep-1
0x1.ea28b3df2f001p-2
0x1.def1c5ef322acp-3
-0x1.691ce44fed4dep-5
-0x1.9cc1d44363956p-2
0x1.1c7959c685b23p-2
0x1.f86798fe7127dp-2
-0x1.98c2b688a3db1p-2
-0x1.6188c7ac4e7c3p-1
0x1.1f37ac8d95a5bp-1
-0x1.4d5babc352bdap-1
0x1.0fa838504d89bp-1
-0x1.fade879a2e773p-5
0x1.244fc70e47c77p-3
0x1.09795958338d1p-3
-0x1.d8624ea771763p-5
-0x1.2cbf1ac243209p-4
0x1.59c4286984058p-4
0x1.67df6e54a94b8p-4
0x1.0c5a1666e740cp-3
-0x1.1c17edc41b37cp-3
0x1.1013831fcec76p-2
-0x1.31574f2e6b57dp-3
0x1.ebfe86d39a86p-8
-0x1.91d5bf4ecda14p-3
0x1.487f0786421dep-2
-0x1.76c3c9b5f2214p-3
-0x1.f5ff6d10b6786p-3
0x1.1c851576564fp+0
-0x1.da7779d44ba6bp-3
0x1.65f5ae53f84fcp-2
0x1.1e8915586b501p-2
0x1.fcc86e6b02ab5p-1
-0x1.63aceee5fe2dap-4
-0x1.1c663f80261d9p-1
0x1.d8fa4586235ddp-2
-0x1.daec44935bf3dp-1
-0x1.24899aac68287p-4
-0x1.22cc6f43b011dp-1
-0x1.ff7624b5a87c3p-3
0x1.21fa691d1c0fp+0
-0x1.3973c838cac05p-2
-0x1.f752a473f8e7bp-1
0x1.11d1994357e03p-1
-0x1.5e24d35158ae9p-1
0x1.cd3aff5023fb5p-5
0x1.20d87975e0d39p-5
-0x1.9e4155ba69671p-3
-0x1.4db96a916ec6dp-6
-0x1.49b284a088877p-3
-0x1.2644da302ae46p-3
-0x1.902a534d01fa4p-3
-0x1.a0dbc815e004dp-4
-0x1.fe2d03f8ceb77p-4
-0x1.ae3c357e5b69cp-6
0x1.c8e11b242bf12p-2
-0x1.dcad0492f2f35p-4
-0x1.7c6f8beb4f205p-2
-0x1.32aea7a541ea2p-3
0x1.5d7c5f0c4afbdp-1
-0x1.3e12a894d63fap-1
-0x1.06df2438de816p-1
0x1.eacecc99ff788p-1
-0x1.2c47bce227a2ep-2
0x1.cc38abc044051p+0
end
