#pragma once

// For the trainers' sources, after <torch/torch.h>.

#include <dealii-learned/base/utilities.h>

#include <sstream>
#include <string>

namespace dealii_learned
{
  /**
   * Writes @p archive to @p file under a temporary name, then renames it
   * (write_file_atomically(), which names the file and the reason if it
   * fails): a reader never sees a half-written checkpoint or model. The
   * bytes do not depend on the file's name.
   */
  inline void
  save_archive_atomically(torch::serialize::OutputArchive &archive,
                          const std::string               &file)
  {
    std::ostringstream bytes;
    archive.save_to(bytes);
    write_file_atomically(file, bytes.str());
  }
} // namespace dealii_learned
