#pragma once

#include <deal.II/base/exceptions.h>
#include <deal.II/base/parameter_handler.h>

#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace dealii_learned
{
  /**
   * The constructor arguments of the components of an interface, as a
   * std::tuple; none unless an interface says otherwise (problems take
   * their MPI communicator).
   */
  template <typename Interface>
  struct ConstructorArguments
  {
    using type = std::tuple<>;
  };


  namespace internal
  {
    template <typename Interface, typename Arguments>
    struct FactoryOf;

    template <typename Interface, typename... Args>
    struct FactoryOf<Interface, std::tuple<Args...>>
    {
      using type = std::function<std::unique_ptr<Interface>(Args...)>;

      template <typename Class>
      static type
      make()
      {
        return [](Args... args) -> std::unique_ptr<Interface> {
          return std::make_unique<Class>(args...);
        };
      }
    };
  } // namespace internal


  /**
   * A registry of the implementations of one interface (solver hooks,
   * postprocessors, problems, ...), keyed by the name users type into a
   * parameter file.
   *
   * Why a registry: the host program and the driver never name a concrete
   * class. They ask the registry for the names (to build a
   * Patterns::Selection), let every registered component declare its own
   * parameter subsection, and create the selected one by name. A component
   * from a user's shared library registers itself when the library is
   * loaded (see load_shared_libraries()) and is then selectable exactly like
   * a built-in one, as in ASPECT's plugin system or PETSc's PCRegister.
   *
   * There is one registry per interface type. The single instance lives in
   * the dealii-learned shared library (instance() is defined there for each
   * interface), so components registered from any shared object end up in
   * the same table.
   */
  template <typename Interface>
  class Registry
  {
  public:
    using DeclareFunction = std::function<void(dealii::ParameterHandler &)>;
    using FactoryHelper =
      internal::FactoryOf<Interface,
                          typename ConstructorArguments<Interface>::type>;
    /** Creates a component from ConstructorArguments<Interface>. */
    using Factory = typename FactoryHelper::type;

    struct Entry
    {
      std::string     name;
      std::string     description;
      DeclareFunction declare_parameters;
      Factory         create;
    };

    /** The single registry of this interface. */
    static Registry &
    instance();

    /** Adds an entry; a second entry with the same name is an error. */
    void
    add(Entry entry);

    bool
    contains(const std::string &name) const;

    /** Registered names in alphabetical order. */
    std::vector<std::string>
    names() const;

    /** The names joined by '|', as Patterns::Selection expects. */
    std::string
    selection_pattern() const;

    /**
     * Text for the documentation string of a selection parameter: one
     * paragraph per entry with its name and description.
     */
    std::string
    documentation() const;

    /** The entry of the given name; throws with the list of known names. */
    const Entry &
    get(const std::string &name) const;

    /**
     * Creates the entry @p name from @p args and lets it read its own
     * parameters: its parse_parameters() runs inside `subsection
     * <section>/<name>` of @p prm, which is left again also when it throws
     * (a refused model file must not leave the caller's ParameterHandler in
     * a subsection). What every interface's parameter reader does.
     */
    template <typename... Args>
    std::unique_ptr<Interface>
    create_configured(const std::string        &name,
                      dealii::ParameterHandler &prm,
                      const std::string        &section,
                      Args &&...args) const;

    /**
     * Declares, for every entry that has parameters, a subsection named
     * after the entry inside the current subsection of @p prm.
     */
    void
    declare_parameters(dealii::ParameterHandler &prm) const;

  private:
    Registry() = default;

    std::map<std::string, Entry> entries;
  };


  /**
   * Registers `Class` in the registry of `Interface` when constructed. Used
   * through the registration macros, one line at the bottom of the file that
   * implements a component.
   */
  template <typename Interface, typename Class>
  struct RegistrationHelper
  {
    RegistrationHelper(const char *name, const char *description)
    {
      Registry<Interface>::instance().add(
        {name,
         description,
         [](dealii::ParameterHandler &prm) { Class::declare_parameters(prm); },
         Registry<Interface>::FactoryHelper::template make<Class>()});
    }
  };


  // ----------------------------------------------------------------------
  // Implementation

  template <typename Interface>
  void
  Registry<Interface>::add(Entry entry)
  {
    AssertThrow(!entry.name.empty(),
                dealii::ExcMessage(
                  "A component was registered without a name."));
    AssertThrow(entries.find(entry.name) == entries.end(),
                dealii::ExcMessage(
                  "Two components were registered under the name '" +
                  entry.name +
                  "'. Names must be unique per interface; rename one of "
                  "them (a user plugin must not reuse a built-in name)."));
    AssertThrow(entry.name.find_first_of("|,") == std::string::npos,
                dealii::ExcMessage("The component name '" + entry.name +
                                   "' contains '|' or ','; these characters "
                                   "are reserved by parameter patterns."));
    const std::string name = entry.name;
    entries.emplace(name, std::move(entry));
  }


  template <typename Interface>
  bool
  Registry<Interface>::contains(const std::string &name) const
  {
    return entries.find(name) != entries.end();
  }


  template <typename Interface>
  std::vector<std::string>
  Registry<Interface>::names() const
  {
    std::vector<std::string> result;
    for (const auto &e : entries)
      result.push_back(e.first);
    return result;
  }


  template <typename Interface>
  std::string
  Registry<Interface>::selection_pattern() const
  {
    std::string result;
    for (const auto &e : entries)
      result += (result.empty() ? "" : "|") + e.first;
    return result;
  }


  template <typename Interface>
  std::string
  Registry<Interface>::documentation() const
  {
    std::string result;
    for (const auto &e : entries)
      result += "\n\n`" + e.first + "': " + e.second.description;
    return result;
  }


  template <typename Interface>
  const typename Registry<Interface>::Entry &
  Registry<Interface>::get(const std::string &name) const
  {
    const auto it = entries.find(name);
    AssertThrow(it != entries.end(),
                dealii::ExcMessage(
                  "There is no component named '" + name +
                  "'. Known names: " + selection_pattern() +
                  ". If it comes from a plugin library, list that library "
                  "in 'set Additional shared libraries'."));
    return it->second;
  }


  template <typename Interface>
  template <typename... Args>
  std::unique_ptr<Interface>
  Registry<Interface>::create_configured(const std::string        &name,
                                         dealii::ParameterHandler &prm,
                                         const std::string        &section,
                                         Args &&...args) const
  {
    std::unique_ptr<Interface> component =
      get(name).create(std::forward<Args>(args)...);
    prm.enter_subsection(section);
    prm.enter_subsection(name);
    try
      {
        component->parse_parameters(prm);
      }
    catch (...)
      {
        prm.leave_subsection();
        prm.leave_subsection();
        throw;
      }
    prm.leave_subsection();
    prm.leave_subsection();
    return component;
  }


  /**
   * Declares a component's parameters in `subsection <name>` of the current
   * subsection of @p prm; a component without parameters gets no (empty)
   * subsection.
   */
  inline void
  declare_component_subsection(
    dealii::ParameterHandler                              &prm,
    const std::string                                     &name,
    const std::function<void(dealii::ParameterHandler &)> &declare)
  {
    if (!declare)
      return;
    dealii::ParameterHandler scratch;
    declare(scratch);
    std::ostringstream listing;
    scratch.print_parameters(listing, dealii::ParameterHandler::ShortPRM);
    if (listing.str().find("set ") == std::string::npos)
      return;
    prm.enter_subsection(name);
    declare(prm);
    prm.leave_subsection();
  }


  template <typename Interface>
  void
  Registry<Interface>::declare_parameters(dealii::ParameterHandler &prm) const
  {
    for (const auto &e : entries)
      declare_component_subsection(prm, e.first, e.second.declare_parameters);
  }
} // namespace dealii_learned

#define DEALII_LEARNED_CONCAT_IMPL(a, b) a##b
#define DEALII_LEARNED_CONCAT(a, b) DEALII_LEARNED_CONCAT_IMPL(a, b)

/**
 * Registers `Class` (default-constructible, derived from `Interface`, with a
 * static `declare_parameters(ParameterHandler &)`) under `name`.
 */
#define DEALII_LEARNED_REGISTER(Interface, Class, name, description) \
  namespace                                                          \
  {                                                                  \
    const ::dealii_learned::RegistrationHelper<Interface, Class>     \
      DEALII_LEARNED_CONCAT(dealii_learned_registration_,            \
                            __LINE__)(name, description);            \
  }
