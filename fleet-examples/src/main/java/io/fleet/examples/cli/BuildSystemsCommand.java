package io.fleet.examples.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleet.api.FleetJson;
import io.fleet.api.Host;
import io.fleet.api.spi.BuildListener;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code build-systems}: builds the selected hosts' systems (one build) and prints their paths. */
@Command(
    name = "build-systems",
    description = "Build the selected hosts' systems in one build and print each store path.")
final class BuildSystemsCommand implements Callable<Integer> {
  @ParentCommand FleetCli cli;

  @Override
  public Integer call() {
    try (Session s = Session.open(cli)) {
      List<String> hosts = s.selected().stream().map(Host::name).collect(Collectors.toList());
      Map<String, String> systems = s.evaluator.build(s.fleet, hosts, BuildListener.NONE);
      if (cli.json) {
        ObjectNode o = FleetJson.mapper().createObjectNode();
        hosts.forEach(h -> o.put(h, systems.get(h)));
        cli.out.println(FleetJson.toJson(o));
      } else {
        hosts.forEach(h -> cli.out.println(h + " " + systems.get(h)));
      }
      return ExitCode.OK;
    }
  }
}
