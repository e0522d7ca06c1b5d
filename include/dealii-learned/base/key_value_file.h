#pragma once

#include <fstream>
#include <string>
#include <vector>

namespace dealii_learned
{
  /**
   * The reader of the library's text model files: a first line
   * "<signature> <version>", then one "key value..." entry per line, read
   * and checked line by line so that every error names the file, the line
   * number and the line's text. Lines from Windows (\r\n) read like any
   * others; numbers must be whole tokens (hexadecimal floats too), so that
   * garbage never becomes 0.
   *
   * Each format (the direction network's `.dlm`, the ensemble's `.dle`)
   * keeps only its own keys and checks; the messages read
   *   The <kind> file '<name>' <what>
   *   The <kind> file '<name>' line <n> ('<text>'): <what>
   * and every error is a dealii::ExcMessage.
   */
  class KeyValueFileReader
  {
  public:
    /**
     * Opens @p filename and checks its first line: @p signature followed by
     * @p version. @p kind names the file in messages ("model",
     * "ensemble model"). A file that cannot be opened names the
     * `Model file` parameter; one of another kind or another version says
     * so (a model of another version must be retrained).
     */
    KeyValueFileReader(const std::string &filename,
                       const std::string &kind,
                       const std::string &signature,
                       unsigned int       version);

    /** Reads the next line (blank lines included); false at the end. */
    bool
    next();

    /** Reads the next line that is not blank; false at the end. */
    bool
    next_entry();

    /** The first word of the current line ("" for a blank line). */
    const std::string &
    key() const;

    /** The rest of the current line after the key, without leading and
     *  trailing blanks. */
    const std::string &
    value() const;

    /** The words of value(). */
    std::vector<std::string>
    words() const;

    /** value() as a finite number; an error on this line otherwise. */
    double
    number() const;

    /** value() as a non-negative whole number; an error otherwise. */
    unsigned int
    count() const;

    /** value() as 0 or 1; an error otherwise. */
    bool
    flag() const;

    /** Every word of value() as a finite number. */
    std::vector<double>
    numbers() const;

    /**
     * Reads @p n lines that each hold one finite number into @p values.
     * A missing line is a truncated file (@p context says what was being
     * read), anything else on a line an error on that line.
     */
    void
    read_values(std::vector<double> &values,
                std::size_t          n,
                const std::string   &context);

    /** Expects the line "end" next; names @p context if it is not. */
    void
    expect_end(const std::string &context);

    /** Throws "The <kind> file '<name>' <what>". */
    [[noreturn]] void
    fail(const std::string &what) const;

    /** Throws the same with the current line's number and text. */
    [[noreturn]] void
    fail_here(const std::string &what) const;

    unsigned int
    line_number() const;

    const std::string &
    line() const;

  private:
    std::ifstream stream;
    std::string   filename;
    std::string   kind;
    std::string   current_line;
    std::string   current_key;
    std::string   current_value;
    unsigned int  current_line_number = 0;
  };
} // namespace dealii_learned
