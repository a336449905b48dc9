package io.fleet.transport;

import io.fleet.api.FleetConfigException;
import io.fleet.api.Host;
import io.fleet.api.HostSelector;
import io.fleet.api.Names;
import java.util.ArrayList;
import java.util.List;

/**
 * Which hosts a pipeline run takes, decided host by host as the evaluator delivers them (the
 * selectors and skips of {@code Fleet.select}, which needs the whole fleet).
 */
final class PipelineSelection {
  private final List<HostSelector> include;
  private final List<HostSelector> exclude;

  PipelineSelection(List<HostSelector> include, List<HostSelector> exclude) {
    this.include = List.copyOf(include);
    this.exclude = List.copyOf(exclude);
  }

  /** Whether an evaluated host is chosen. */
  boolean isChosen(Host h) {
    return (include.isEmpty() || include.stream().anyMatch(sel -> sel.matches(h)))
        && exclude.stream().noneMatch(sel -> sel.matches(h));
  }

  /**
   * Whether a host known only by name (its evaluation failed) may be chosen: no name or glob skip
   * matches it, and a selector matches its name or is a tag (which cannot be told without the
   * host's tags, so the failure is reported rather than hidden).
   */
  boolean mayBeChosen(String name) {
    Host stub = Host.builder().name(name).build();
    boolean in =
        include.isEmpty() || include.stream().anyMatch(sel -> isTag(sel) || sel.matches(stub));
    return in && exclude.stream().noneMatch(sel -> !isTag(sel) && sel.matches(stub));
  }

  private static boolean isTag(HostSelector sel) {
    return sel.toString().startsWith("@");
  }

  /**
   * The error for selectors that name hosts the fleet does not have, or null when every plain name
   * is one of {@code names}.
   */
  FleetConfigException unknownNames(String fleet, List<String> names) {
    List<String> unknown = new ArrayList<>();
    for (HostSelector s : include) {
      if (s.isExactName() && !names.contains(s.toString())) {
        unknown.add(s.toString());
      }
    }
    if (unknown.isEmpty()) {
      return null;
    }
    return new FleetConfigException(
        "no such host(s) "
            + unknown
            + " in fleet "
            + Names.quote(fleet)
            + "; it has "
            + names
            + " (use @name for a tag)");
  }
}
