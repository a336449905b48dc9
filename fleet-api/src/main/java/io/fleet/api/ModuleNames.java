package io.fleet.api;

import java.util.function.Consumer;

/** Names of {@link FleetModule}s: the default for classes without one, and named modules. */
final class ModuleNames {
  private ModuleNames() {}

  static String defaultName(Class<?> type) {
    String binary = type.getName();
    int lambda = binary.indexOf("$$Lambda");
    if (lambda >= 0) {
      return "lambda module in " + simple(binary.substring(0, lambda));
    }
    if (type.isAnonymousClass()) {
      Class<?> outer = type.getEnclosingClass();
      return "anonymous module in " + (outer == null ? "?" : outer.getSimpleName());
    }
    return type.getSimpleName();
  }

  private static String simple(String binaryName) {
    String s = binaryName.substring(binaryName.lastIndexOf('.') + 1);
    return s.substring(s.lastIndexOf('$') + 1);
  }

  static FleetModule named(String name, Consumer<Fleet.Builder> configure) {
    if (name == null || name.isBlank()) {
      throw new FleetConfigException(
          "FleetModule.named needs a name for the module: give a non-blank one");
    }
    if (configure == null) {
      throw new FleetConfigException(
          "module " + Names.quote(name) + " has no configuration: pass a function of the builder");
    }
    return new Named(name, configure);
  }

  private static final class Named implements FleetModule {
    private final String name;
    private final Consumer<Fleet.Builder> configure;

    Named(String name, Consumer<Fleet.Builder> configure) {
      this.name = name;
      this.configure = configure;
    }

    @Override
    public void configure(Fleet.Builder fleet) {
      configure.accept(fleet);
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public String toString() {
      return "FleetModule " + Names.quote(name);
    }
  }
}
