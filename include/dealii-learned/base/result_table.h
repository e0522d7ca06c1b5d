#pragma once

#include <ostream>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace dealii_learned
{
  /** @p s as a JSON string literal: quoted, with quotes, backslashes and
   *  control characters escaped. */
  std::string
  json_string(const std::string &s);


  /**
   * Rows of named values (numbers or strings) in the order they were set:
   * the summary of a run or the comparison of a benchmark. Written as a
   * JSON array of objects (non-finite numbers become null) for scripts and
   * as an aligned text table for people, from the same data.
   */
  class ResultTable
  {
  public:
    using Value = std::variant<long long, double, std::string, bool>;

    /** Starts a new row; subsequent set() calls fill it. */
    void
    new_row();

    void
    set(const std::string &column, double value);
    void
    set(const std::string &column, const std::string &value);
    void
    set(const std::string &column, const char *value);
    /** Written as true/false in JSON and yes/no in text. */
    void
    set(const std::string &column, bool value);

    /** A value of a column that the text table leaves out unless it is
     *  asked for (details that belong in the JSON rows). */
    void
    set_detail(const std::string &column, double value);

    /** Whether set_detail() made @p column a detail column. */
    bool
    is_detail(const std::string &column) const;

    /** Any integer type (counts, sizes, DoF numbers). */
    template <typename Integer,
              typename = std::enable_if_t<std::is_integral<Integer>::value &&
                                          !std::is_same<Integer, bool>::value>>
    void
    set(const std::string &column, const Integer value)
    {
      set_value(column, Value(static_cast<long long>(value)));
    }

    std::size_t
    n_rows() const;

    /** Value of @p column in row @p row (throws if absent). */
    const Value &
    get(std::size_t row, const std::string &column) const;

    /**
     * JSON array of row objects; @p indent spaces before each row.
     */
    void
    write_json(std::ostream &out, unsigned int indent = 2) const;

    /**
     * Text table with one line per row and the given columns (all columns
     * that appear in any row, in order of first appearance, if empty).
     */
    void
    write_text(std::ostream                   &out,
               const std::vector<std::string> &columns = {}) const;

    /** All column names, in order of first appearance. */
    const std::vector<std::string> &
    column_names() const;

  private:
    void
    set_value(const std::string &column, const Value &value);

    std::vector<std::string>                                columns;
    std::vector<std::string>                                detail_columns;
    std::vector<std::vector<std::pair<std::string, Value>>> rows;
  };
} // namespace dealii_learned
