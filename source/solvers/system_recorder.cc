// Recording of the systems a hook solves (Matrix Market through EpetraExt,
// atomic files, an index) and reading them back.

#include <deal.II/base/index_set.h>
#include <deal.II/base/mpi.h>
#include <deal.II/lac/sparse_matrix.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>
#include <deal.II/lac/vector.h>

#include <dealii-learned/base/collective.h>
#include <dealii-learned/base/utilities.h>
#include <dealii-learned/solvers/solver_hook.h>
#include <dealii-learned/solvers/system_recorder.h>

#include <EpetraExt_CrsMatrixIn.h>
#include <EpetraExt_MultiVectorIn.h>
#include <EpetraExt_MultiVectorOut.h>
#include <EpetraExt_RowMatrixOut.h>
#include <Epetra_BlockMap.h>
#include <Epetra_CrsMatrix.h>
#include <Epetra_Map.h>
#include <Epetra_MpiComm.h>
#include <Epetra_MultiVector.h>
#include <Epetra_SerialComm.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <memory>
#include <set>
#include <sstream>

namespace dealii_learned
{
  using namespace dealii;
  namespace fs = std::filesystem;

  const std::string SystemRecorder::index_header = "dealii-learned-records 1";

  namespace
  {
    /** Directories a recorder of this process writes into. */
    std::set<std::string> &
    claimed_directories()
    {
      static std::set<std::string> claimed;
      return claimed;
    }


    std::string
    canonical_name(const std::string &dir)
    {
      std::error_code error;
      const auto      path = fs::weakly_canonical(dir, error);
      return error ? dir : path.string();
    }

    const std::string parameter = "Linear solver/Record systems";

    std::string
    stem_of(const unsigned int number)
    {
      std::ostringstream s;
      s << "system-" << std::setw(5) << std::setfill('0') << number;
      return s.str();
    }


    std::string
    index_line(const RecordedSystem &s)
    {
      std::ostringstream out;
      out << std::setprecision(17) << "system " << s.number << " solve "
          << s.solve << " size " << s.size << " nonzeros " << s.nonzeros
          << " components " << s.components << " null_space "
          << s.null_space_vectors << " method "
          << (s.method.empty() ? std::string("-") : s.method) << " iterations "
          << s.iterations << " relative_residual " << s.relative_residual
          << " stem " << s.stem;
      return out.str();
    }


    /** The index, written atomically (rank 0 only). */
    void
    write_index(const std::string                 &dir,
                const std::vector<RecordedSystem> &systems)
    {
      std::string content = SystemRecorder::index_header + '\n';
      for (const auto &s : systems)
        content += index_line(s) + '\n';
      write_file_atomically(dir + "/index.txt", content);
    }


    /** Files of another run: an index that lists systems, or system files.
     *  (An index with its header only is what a recorder leaves that never
     *  recorded, e.g. a program that failed in its setup.) */
    std::string
    earlier_records(const std::string &dir)
    {
      std::error_code error;
      if (fs::exists(dir + "/index.txt", error))
        {
          std::ifstream in(dir + "/index.txt");
          std::string   header, line;
          std::getline(in, header);
          if (header != SystemRecorder::index_header ||
              std::getline(in, line))
            return "index.txt";
        }
      std::string first;
      for (const auto &entry : fs::directory_iterator(dir, error))
        {
          const std::string name = entry.path().filename().string();
          if (name.rfind("system-", 0) == 0 &&
              name.find(".mtx") != std::string::npos &&
              (first.empty() || name < first))
            first = name;
        }
      return first;
    }


    /** Free bytes in @p dir (DEALII_LEARNED_RECORD_FREE_BYTES overrides
     *  it, to test the full-disk error). */
    std::uintmax_t
    free_bytes(const std::string &dir)
    {
      if (const char *forced = std::getenv("DEALII_LEARNED_RECORD_FREE_BYTES"))
        return std::strtoull(forced, nullptr, 10);
      std::error_code error;
      const auto      info = fs::space(dir, error);
      return error ? static_cast<std::uintmax_t>(-1) : info.available;
    }


    /** Matrix Market text takes about 50 bytes per matrix entry and 25 per
     *  vector entry. */
    std::uintmax_t
    estimated_bytes(const std::size_t nonzeros,
                    const std::size_t size,
                    const unsigned int vectors)
    {
      return 50 * static_cast<std::uintmax_t>(nonzeros) +
             25 * static_cast<std::uintmax_t>(size) * vectors + 4096;
    }


    void
    check_space(const std::string    &dir,
                const RecordedSystem &entry,
                const std::uintmax_t  available)
    {
      const unsigned int   number = entry.number;
      const std::uintmax_t needed = estimated_bytes(
        entry.nonzeros, entry.size, 2 + entry.null_space_vectors);
      AssertThrow(available / 3 >= needed,
                  ExcMessage(parameter + ": the disk of '" + dir + "' has " +
                             std::to_string(available) +
                             " bytes free, and system " +
                             std::to_string(number) + " needs about " +
                             std::to_string(needed) +
                             " (three times that is required, so that the "
                             "program does not fill the disk); free space, "
                             "record fewer systems (`Record every`) or "
                             "choose another directory. Nothing of this "
                             "system was written."));
    }


    /** The files of a system: temporary names first. */
    struct SystemFiles
    {
      SystemFiles(const std::string &dir, const std::string &stem, bool nns)
      {
        for (const std::string part : {"matrix", "rhs", "solution"})
          final_names.push_back(dir + "/" + stem + "-" + part + ".mtx");
        if (nns)
          final_names.push_back(dir + "/" + stem + "-near-null-space.mtx");
        for (const auto &f : final_names)
          temporary_names.push_back(f + ".tmp");
      }

      /** Creates the temporary files (empty): EpetraExt opens them on rank
       *  0 only, and a failure there must not leave the other ranks in
       *  its collective calls. Throws naming the file. */
      void
      create_temporaries() const
      {
        for (const auto &f : temporary_names)
          {
            std::ofstream out(f, std::ios::trunc);
            if (!out)
              {
                remove_temporaries();
                AssertThrow(false,
                            ExcMessage(parameter + ": cannot create '" + f +
                                       "': " + std::strerror(errno) +
                                       "; nothing of the system was "
                                       "written."));
              }
          }
      }

      void
      remove_temporaries() const
      {
        for (const auto &f : temporary_names)
          std::remove(f.c_str());
      }

      /** Renames every file; on failure removes what is left of the system
       *  and throws. */
      void
      commit() const
      {
        for (std::size_t i = 0; i < final_names.size(); ++i)
          {
            std::error_code error;
            const auto      bytes = fs::file_size(temporary_names[i], error);
            if (error || bytes == 0 ||
                std::rename(temporary_names[i].c_str(),
                            final_names[i].c_str()) != 0)
              {
                remove_temporaries();
                for (std::size_t j = 0; j < i; ++j)
                  std::remove(final_names[j].c_str());
                AssertThrow(false,
                            ExcMessage(parameter + ": writing '" +
                                       final_names[i] +
                                       "' failed (disk full, or the directory "
                                       "was removed); the system's files were "
                                       "removed."));
              }
          }
      }

      std::vector<std::string> final_names, temporary_names;
    };


    /** The near-null space as a multivector on @p map (its locally owned
     *  entries in order), or null without one. */
    std::unique_ptr<Epetra_MultiVector>
    null_space_vectors(const SystemStructure &structure,
                       const Epetra_BlockMap &map)
    {
      if (structure.near_null_space.empty())
        return nullptr;
      auto v = std::make_unique<Epetra_MultiVector>(
        map, structure.near_null_space.size());
      for (unsigned int k = 0; k < structure.near_null_space.size(); ++k)
        for (int i = 0; i < map.NumMyElements(); ++i)
          (*v)[k][i] = structure.near_null_space[k][i];
      return v;
    }


    /** Writes the system's files under their temporary names; returns the
     *  first EpetraExt error code (0 if none). Collective on A's map. */
    int
    write_system(const SystemFiles         &files,
                 const Epetra_RowMatrix    &A,
                 const Epetra_MultiVector  &b,
                 const Epetra_MultiVector  &x,
                 const Epetra_MultiVector  *null_space)
    {
      int error = EpetraExt::RowMatrixToMatrixMarketFile(
        files.temporary_names[0].c_str(), A, "A", "system matrix");
      const int e1 = EpetraExt::MultiVectorToMatrixMarketFile(
        files.temporary_names[1].c_str(), b, "b", "right-hand side");
      const int e2 = EpetraExt::MultiVectorToMatrixMarketFile(
        files.temporary_names[2].c_str(), x, "x", "solution");
      int e3 = 0;
      if (null_space != nullptr)
        e3 = EpetraExt::MultiVectorToMatrixMarketFile(
          files.temporary_names[3].c_str(),
          *null_space,
          "B",
          "near-null space");
      for (const int e : {e1, e2, e3})
        if (error == 0)
          error = e;
      return error;
    }


    [[noreturn]] void
    throw_write_error(const std::string    &dir,
                      const RecordedSystem &entry,
                      const int             error)
    {
      AssertThrow(false,
                  ExcMessage(parameter + ": EpetraExt could not write system " +
                             std::to_string(entry.number) + " to '" + dir +
                             "' (error " + std::to_string(error) +
                             "); nothing of it was kept."));
      std::abort();
    }


    /** Renames the system's files into place and rewrites the index with
     *  it (on the rank that writes files); the caller adds @p entry to
     *  @p recorded once this has succeeded. */
    void
    commit_and_list(const SystemFiles                 &files,
                    const std::string                 &dir,
                    const std::vector<RecordedSystem> &recorded,
                    const RecordedSystem              &entry)
    {
      files.commit();
      std::vector<RecordedSystem> listed = recorded;
      listed.push_back(entry);
      write_index(dir, listed);
    }


    RecordedSystem
    describe(const unsigned int     number,
             const unsigned int     solve,
             const types::global_dof_index size,
             const std::size_t      nonzeros,
             const SystemStructure &structure,
             const SolverReport    &report)
    {
      RecordedSystem s;
      s.number     = number;
      s.solve      = solve;
      s.size       = size;
      s.nonzeros   = nonzeros;
      s.components         = structure.n_components;
      s.null_space_vectors = structure.near_null_space.size();
      s.method            = report.preconditioner.empty() ?
                              report.method :
                              report.method + "(" + report.preconditioner + ")";
      s.iterations        = report.iterations;
      s.relative_residual = report.relative_residual;
      s.stem              = stem_of(number);
      return s;
    }
  } // namespace


  SystemRecorder::SystemRecorder(const std::string &directory,
                                 const unsigned int every,
                                 const MPI_Comm    &comm)
    : dir(directory)
    , every(every)
    , comm(comm)
  {
    AssertThrow(!directory.empty(),
                ExcMessage(parameter + " is empty: no directory to record "
                                       "into."));
    AssertThrow(every >= 1,
                ExcMessage("Linear solver/Record every must be at least 1."));
    const bool         mpi  = mpi_is_running();
    const unsigned int rank = mpi ? Utilities::MPI::this_mpi_process(comm) : 0;
    // Every rank checks what it sees; then rank 0 claims the directory
    // with an empty index, so that a second recorder on it fails.
    decide_collectively(comm, [&]() {
      ensure_writable_directory(dir, parameter);
      AssertThrow(claimed_directories().count(canonical_name(dir)) == 0,
                  ExcMessage(parameter + ": another hook of this program "
                                         "already records into '" +
                             dir +
                             "'; give each hook a directory of its own."));
      const std::string found = earlier_records(dir);
      AssertThrow(found.empty(),
                  ExcMessage(parameter + ": the directory '" + dir +
                             "' already holds records of another run ('" +
                             found +
                             "'); choose an empty or new directory, or "
                             "remove the old records first."));
    });
    decide_collectively(comm, [&]() {
      if (rank == 0)
        write_index(dir, recorded);
    });
    claimed_directories().insert(canonical_name(dir));
  }


  SystemRecorder::~SystemRecorder()
  {
    claimed_directories().erase(canonical_name(dir));
  }


  bool
  SystemRecorder::due()
  {
    ++n_solves;
    return (n_solves - 1) % every == 0;
  }


  void
  SystemRecorder::solved(const TrilinosWrappers::SparseMatrix &A,
                         const TrilinosWrappers::MPI::Vector  &x,
                         const TrilinosWrappers::MPI::Vector  &b,
                         const SystemStructure                &structure,
                         const SolverReport                   &report)
  {
    if (!due())
      return;
    const MPI_Comm matrix_comm = A.get_mpi_communicator();
    int            relation    = MPI_UNEQUAL;
    MPI_Comm_compare(matrix_comm, comm, &relation);
    // The same answer on every rank of either communicator.
    AssertThrow(relation == MPI_IDENT || relation == MPI_CONGRUENT,
                ExcMessage(parameter + ": the matrix lives on another MPI "
                                       "communicator than the hook that "
                                       "records it (LinearSolver::create()'s "
                                       "communicator); create the hook on "
                                       "the matrix's communicator."));
    const unsigned int rank = Utilities::MPI::this_mpi_process(matrix_comm);
    const RecordedSystem entry = describe(recorded.size() + 1,
                                          n_solves,
                                          A.m(),
                                          A.n_nonzero_elements(),
                                          structure,
                                          report);
    // Rank 0's view of the disk, the same verdict on every rank.
    // (Capped at 2^53 bytes, which a double holds exactly.)
    const double available = Utilities::MPI::max(
      rank == 0 ? static_cast<double>(
                    std::min<std::uintmax_t>(free_bytes(dir), 1ull << 53)) :
                  0.,
      matrix_comm);
    check_space(dir, entry, static_cast<std::uintmax_t>(available));

    const SystemFiles files(dir, entry.stem, entry.null_space_vectors > 0);
    decide_collectively(matrix_comm, [&]() {
      if (rank == 0)
        files.create_temporaries();
    });
    const Epetra_MultiVector &xv = x.trilinos_vector();
    const auto                nns = null_space_vectors(structure, xv.Map());
    const int error = Utilities::MPI::max(
      write_system(files, A.trilinos_matrix(), b.trilinos_vector(), xv,
                   nns.get()),
      matrix_comm);
    if (error != 0)
      {
        if (rank == 0)
          files.remove_temporaries();
        throw_write_error(dir, entry, error);
      }
    // All ranks have written their rows: rank 0 renames and lists it.
    decide_collectively(matrix_comm, [&]() {
      if (rank == 0)
        commit_and_list(files, dir, recorded, entry);
    });
    recorded.push_back(entry);
  }


  void
  SystemRecorder::solved(const SparseMatrix<double> &A,
                         const Vector<double>       &x,
                         const Vector<double>       &b,
                         const SystemStructure      &structure,
                         const SolverReport         &report)
  {
    if (!due())
      return;
    const unsigned int rank =
      mpi_is_running() ? Utilities::MPI::this_mpi_process(comm) : 0;
    if (rank != 0)
      return;
    const RecordedSystem entry = describe(recorded.size() + 1,
                                          n_solves,
                                          A.m(),
                                          A.n_nonzero_elements(),
                                          structure,
                                          report);
    check_space(dir, entry, free_bytes(dir));

    // The serial system as Epetra objects on a serial communicator (no MPI
    // needed), for EpetraExt's writers.
    Epetra_SerialComm serial;
    const int         n = static_cast<int>(A.m());
    Epetra_Map        map(n, 0, serial);
    std::vector<int>  lengths(n);
    for (int i = 0; i < n; ++i)
      lengths[i] = A.get_row_length(i);
    Epetra_CrsMatrix matrix(Copy, map, lengths.data(), true);
    std::vector<int>    columns;
    std::vector<double> values;
    for (int i = 0; i < n; ++i)
      {
        columns.clear();
        values.clear();
        for (auto it = A.begin(i); it != A.end(i); ++it)
          {
            columns.push_back(static_cast<int>(it->column()));
            values.push_back(it->value());
          }
        matrix.InsertGlobalValues(i,
                                  static_cast<int>(columns.size()),
                                  values.data(),
                                  columns.data());
      }
    matrix.FillComplete();
    Epetra_MultiVector bv(map, 1), xv(map, 1);
    for (int i = 0; i < n; ++i)
      {
        bv[0][i] = b[i];
        xv[0][i] = x[i];
      }
    const auto        nns = null_space_vectors(structure, map);
    const SystemFiles files(dir, entry.stem, entry.null_space_vectors > 0);
    files.create_temporaries();
    const int error = write_system(files, matrix, bv, xv, nns.get());
    if (error != 0)
      {
        files.remove_temporaries();
        throw_write_error(dir, entry, error);
      }
    commit_and_list(files, dir, recorded, entry);
    recorded.push_back(entry);
  }


  const std::string &
  SystemRecorder::directory() const
  {
    return dir;
  }


  const std::vector<RecordedSystem> &
  SystemRecorder::systems() const
  {
    return recorded;
  }


  RecordedSystems::RecordedSystems(const std::string &directory)
    : dir(directory)
  {
    const std::string index = directory + "/index.txt";
    std::ifstream     in(index);
    AssertThrow(in,
                ExcMessage("Recorded systems: cannot open '" + index +
                           "'; record systems with `Linear solver/Record "
                           "systems = " +
                           directory + "` first."));
    std::string line;
    std::getline(in, line);
    AssertThrow(line == SystemRecorder::index_header,
                ExcMessage("Recorded systems: '" + index +
                           "' does not start with '" +
                           SystemRecorder::index_header +
                           "'; it was not written by dealii-learned's "
                           "SystemRecorder (or by another version)."));
    unsigned int line_number = 1;
    while (std::getline(in, line))
      {
        ++line_number;
        if (line.empty())
          continue;
        std::istringstream words(line);
        RecordedSystem     s;
        std::string        key;
        unsigned int       found = 0;
        while (words >> key)
          {
            bool ok = true;
            if (key == "system")
              ok = static_cast<bool>(words >> s.number);
            else if (key == "solve")
              ok = static_cast<bool>(words >> s.solve);
            else if (key == "size")
              ok = static_cast<bool>(words >> s.size);
            else if (key == "nonzeros")
              ok = static_cast<bool>(words >> s.nonzeros);
            else if (key == "components")
              ok = static_cast<bool>(words >> s.components);
            else if (key == "null_space")
              ok = static_cast<bool>(words >> s.null_space_vectors);
            else if (key == "method")
              ok = static_cast<bool>(words >> s.method);
            else if (key == "iterations")
              ok = static_cast<bool>(words >> s.iterations);
            else if (key == "relative_residual")
              ok = static_cast<bool>(words >> s.relative_residual);
            else if (key == "stem")
              ok = static_cast<bool>(words >> s.stem);
            else
              ok = false;
            AssertThrow(ok,
                        ExcMessage("Recorded systems: '" + index + "' line " +
                                   std::to_string(line_number) +
                                   ": cannot read '" + key + "'."));
            ++found;
          }
        AssertThrow(found == 10 && s.size > 0 && s.components > 0 &&
                      s.size % s.components == 0 && !s.stem.empty(),
                    ExcMessage("Recorded systems: '" + index + "' line " +
                               std::to_string(line_number) +
                               " is incomplete or inconsistent: '" + line +
                               "'."));
        entries.push_back(s);
      }
  }


  std::size_t
  RecordedSystems::size() const
  {
    return entries.size();
  }


  const RecordedSystem &
  RecordedSystems::operator[](const std::size_t i) const
  {
    AssertIndexRange(i, entries.size());
    return entries[i];
  }


  const std::string &
  RecordedSystems::directory() const
  {
    return dir;
  }


  void
  RecordedSystems::load(const std::size_t               i,
                        TrilinosWrappers::SparseMatrix &A,
                        TrilinosWrappers::MPI::Vector  &x,
                        TrilinosWrappers::MPI::Vector  &b,
                        SystemStructure                &structure,
                        const MPI_Comm                 &comm) const
  {
    AssertIndexRange(i, entries.size());
    ensure_mpi_initialized();
    const RecordedSystem &s = entries[i];
    // Whole points per rank, in contiguous blocks.
    const unsigned int n_ranks = Utilities::MPI::n_mpi_processes(comm);
    const unsigned int rank    = Utilities::MPI::this_mpi_process(comm);
    const types::global_dof_index points = s.size / s.components;
    IndexSet                      owned(s.size);
    owned.add_range(points * rank / n_ranks * s.components,
                    points * (rank + 1) / n_ranks * s.components);
    load(i, owned, A, x, b, structure, comm);
  }


  void
  RecordedSystems::load(const std::size_t               i,
                        const IndexSet                 &owned,
                        TrilinosWrappers::SparseMatrix &A,
                        TrilinosWrappers::MPI::Vector  &x,
                        TrilinosWrappers::MPI::Vector  &b,
                        SystemStructure                &structure,
                        const MPI_Comm                 &comm) const
  {
    AssertIndexRange(i, entries.size());
    ensure_mpi_initialized();
    const RecordedSystem &s      = entries[i];
    const std::string     prefix = dir + "/" + s.stem;
    const types::global_dof_index n_owned =
      Utilities::MPI::sum(owned.n_elements(), comm);
    AssertThrow(owned.size() == s.size && n_owned == s.size,
                ExcMessage("Recorded systems: system " +
                           std::to_string(s.number) + " has " +
                           std::to_string(s.size) +
                           " rows, but the partition given to load() has " +
                           std::to_string(owned.size()) + " indices (" +
                           std::to_string(n_owned) +
                           " owned over all ranks)."));
    // EpetraExt fills each rank's vector entries from a running offset, so
    // the partition must be contiguous blocks in rank order.
    const types::global_dof_index first =
      owned.n_elements() > 0 ? owned.nth_index_in_set(0) : 0;
    const auto firsts = Utilities::MPI::all_gather(comm, first);
    const auto counts = Utilities::MPI::all_gather(
      comm, static_cast<types::global_dof_index>(owned.n_elements()));
    bool                    in_order = owned.is_contiguous();
    types::global_dof_index expected = 0;
    for (std::size_t r = 0; r < counts.size(); ++r)
      {
        in_order = in_order && (counts[r] == 0 || firsts[r] == expected);
        expected += counts[r];
      }
    AssertThrow(Utilities::MPI::min(static_cast<int>(in_order), comm) == 1,
                ExcMessage("Recorded systems: load() needs a partition of "
                           "contiguous row blocks in rank order (as deal.II's "
                           "DoF partitions are); this one is not."));
    decide_collectively(comm, [&]() {
      for (std::string part : {"matrix", "rhs", "solution"})
        AssertThrow(std::ifstream(prefix + "-" + part + ".mtx").good(),
                    ExcMessage("Recorded systems: cannot read '" + prefix +
                               "-" + part + ".mtx'; the record is incomplete "
                               "or not visible from every rank."));
    });
    const Epetra_Map map = owned.make_trilinos_map(comm, false);

    const auto fail = [&](const std::string &file, const int code) {
      AssertThrow(code == 0,
                  ExcMessage("Recorded systems: cannot read '" + file +
                             "' (EpetraExt error " + std::to_string(code) +
                             "); the record is incomplete or damaged."));
    };
    {
      Epetra_CrsMatrix *matrix = nullptr;
      const std::string file   = prefix + "-matrix.mtx";
      const int         code   = Utilities::MPI::max(
        EpetraExt::MatrixMarketFileToCrsMatrix(
          file.c_str(), map, map, map, matrix),
        comm);
      std::unique_ptr<Epetra_CrsMatrix> owner(matrix);
      fail(file, code);
      AssertThrow(static_cast<types::global_dof_index>(
                    matrix->NumGlobalRows64()) == s.size,
                  ExcMessage("Recorded systems: '" + file + "' has " +
                             std::to_string(matrix->NumGlobalRows64()) +
                             " rows, the index says " +
                             std::to_string(s.size) + "."));
      A.reinit(*matrix, true);
    }
    const auto read_vectors = [&](const std::string &part,
                                  const unsigned int n_vectors) {
      Epetra_MultiVector *v    = nullptr;
      const std::string   file = prefix + "-" + part + ".mtx";
      const int           code = Utilities::MPI::max(
        EpetraExt::MatrixMarketFileToMultiVector(file.c_str(), map, v), comm);
      std::unique_ptr<Epetra_MultiVector> owner(v);
      fail(file, code);
      AssertThrow(static_cast<unsigned int>(v->NumVectors()) == n_vectors,
                  ExcMessage("Recorded systems: '" + file + "' has " +
                             std::to_string(v->NumVectors()) +
                             " columns, expected " +
                             std::to_string(n_vectors) + "."));
      return owner;
    };
    const auto copy = [&](const Epetra_MultiVector      &from,
                          TrilinosWrappers::MPI::Vector &to) {
      to.reinit(owned, comm);
      for (int r = 0; r < from.MyLength(); ++r)
        to.begin()[r] = from[0][r];
    };
    copy(*read_vectors("rhs", 1), b);
    copy(*read_vectors("solution", 1), x);
    structure              = SystemStructure();
    structure.n_components = s.components;
    if (s.null_space_vectors > 0)
      {
        const auto v = read_vectors("near-null-space", s.null_space_vectors);
        for (unsigned int k = 0; k < s.null_space_vectors; ++k)
          structure.near_null_space.emplace_back((*v)[k],
                                                 (*v)[k] + v->MyLength());
      }
  }
} // namespace dealii_learned
