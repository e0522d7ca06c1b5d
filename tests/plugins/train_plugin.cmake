# `dealii-learned train` with a trainer from a user plugin library: an
# uninterrupted 6-epoch run, and the same run stopped after 2 epochs
# (Epochs per run) and resumed; the two model files must be identical and
# the loss must fall.
#   -DDRIVER=... -DPLUGIN=... -DWORKDIR=...
file(REMOVE_RECURSE ${WORKDIR})
file(MAKE_DIRECTORY ${WORKDIR})
function(write_prm _file _model _epochs_per_run)
  file(WRITE ${WORKDIR}/${_file}
    "set Additional shared libraries = ${PLUGIN}\n"
    "subsection Problem\n  set Initial global refinement = 3\nend\n"
    "subsection Training\n  set Model = mean-value\n  set Model file = ${_model}\n"
    "  set Epochs = 6\n  set Epochs per run = ${_epochs_per_run}\n"
    "  subsection mean-value\n    set Step size = 0.2\n  end\nend\n")
endfunction()
function(train _file)
  execute_process(COMMAND ${DRIVER} train ${_file} WORKING_DIRECTORY ${WORKDIR}
    RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("== train ${_file} (exit ${code})\n${out}${err}")
  if(NOT code EQUAL 0)
    message(FATAL_ERROR "training failed")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

write_prm(full.prm full.model 0)
train(full.prm)
if(NOT last_output MATCHES "data: 225 nodal values" OR
   NOT last_output MATCHES "Training data: 225 values" OR
   NOT last_output MATCHES "epoch 6/6: loss" OR
   NOT last_output MATCHES "Model written to full.model")
  message(FATAL_ERROR "unexpected progress report")
endif()
string(REGEX MATCH "epoch 0: loss ([0-9.e+-]+)" _ "${last_output}")
set(first_loss ${CMAKE_MATCH_1})
string(REGEX MATCH "epoch 6/6: loss ([0-9.e+-]+)" _ "${last_output}")
set(last_loss ${CMAKE_MATCH_1})
message("loss ${first_loss} -> ${last_loss}")
if(NOT last_loss LESS first_loss)
  message(FATAL_ERROR "the loss did not fall")
endif()

write_prm(split.prm split.model 2)
train(split.prm)
if(NOT last_output MATCHES "Stopped after epoch 2 of 6" OR EXISTS ${WORKDIR}/split.model
   OR NOT EXISTS ${WORKDIR}/split.model.checkpoint.mean)
  message(FATAL_ERROR "the first run did not stop after epoch 2 with a checkpoint")
endif()
write_prm(split.prm split.model 0)
train(split.prm)
if(NOT last_output MATCHES "Resuming from split.model.checkpoint after epoch 2"
   OR last_output MATCHES "epoch 2/6")
  message(FATAL_ERROR "the second run did not resume after epoch 2")
endif()
if(EXISTS ${WORKDIR}/split.model.checkpoint OR EXISTS ${WORKDIR}/split.model.checkpoint.mean)
  message(FATAL_ERROR "the checkpoint was left behind")
endif()

file(READ ${WORKDIR}/full.model full)
file(READ ${WORKDIR}/split.model split)
string(REGEX REPLACE "\nconfiguration [0-9a-f]+" "" full "${full}")
string(REGEX REPLACE "\nconfiguration [0-9a-f]+" "" split "${split}")
message("full.model:\n${full}")
if(NOT full STREQUAL split)
  message(FATAL_ERROR "the resumed run's model differs from the uninterrupted one:\n${split}")
endif()
