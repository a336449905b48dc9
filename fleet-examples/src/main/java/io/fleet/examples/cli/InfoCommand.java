package io.fleet.examples.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleet.api.FleetJson;
import io.fleet.api.Host;
import io.fleet.api.SecretSpec;
import io.fleet.api.data.FleetData;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * {@code info}: the selected hosts (system, tags, deploy target, secrets, recorded host key) and
 * the shared secrets; {@code --json} prints the same as one JSON object.
 */
@Command(
    name = "info",
    description = "Show the selected hosts and the fleet's shared secrets (--json for scripts).")
final class InfoCommand implements Callable<Integer> {
  @ParentCommand FleetCli cli;

  @Override
  public Integer call() {
    try (Session s = Session.open(cli)) {
      s.requireDataFile();
      FleetData data = s.store.load();
      List<Host> hosts = s.selected();
      ObjectNode root = FleetJson.mapper().createObjectNode();
      root.put("fleet", s.fleet.name());
      root.put("data", s.dataFile.toString());
      ArrayNode modules = root.putArray("modules");
      s.fleet.modules().forEach(modules::add);
      ObjectNode hostsNode = root.putObject("hosts");
      for (Host h : hosts) {
        ObjectNode o = hostsNode.putObject(h.name());
        o.put("system", h.system());
        ArrayNode tags = o.putArray("tags");
        h.tags().forEach(tags::add);
        o.put("target", h.deployTarget().spec());
        ArrayNode secrets = o.putArray("secrets");
        h.secrets().keySet().forEach(secrets::add);
        data.hostKey(h.name()).ifPresent(k -> o.put("hostKey", k));
      }
      ObjectNode shared = root.putObject("sharedSecrets");
      for (SecretSpec spec : s.fleet.sharedSecrets().values()) {
        ObjectNode o = shared.putObject(spec.name());
        ArrayNode owners = o.putArray("owners");
        spec.owners().forEach(owners::add);
        o.put("stored", data.sharedSecret(spec.name()).isPresent());
      }
      if (cli.json) {
        cli.out.println(FleetJson.toJson(root));
        return ExitCode.OK;
      }
      cli.out.println(
          "fleet "
              + s.fleet.name()
              + ": "
              + s.fleet.hosts().size()
              + " hosts ("
              + hosts.size()
              + " selected), modules "
              + s.fleet.modules());
      cli.out.printf("%-16s %-14s %-20s %s%n", "HOST", "SYSTEM", "TAGS", "SECRETS");
      for (Host h : hosts) {
        cli.out.printf(
            "%-16s %-14s %-20s %s%n",
            h.name(),
            h.system(),
            String.join(",", h.tags()),
            String.join(",", h.secrets().keySet()));
      }
      for (SecretSpec spec : s.fleet.sharedSecrets().values()) {
        cli.out.println(
            "shared secret "
                + spec.name()
                + " owned by "
                + String.join(",", spec.owners())
                + (data.sharedSecret(spec.name()).isPresent() ? "" : " (not generated yet)"));
      }
      return ExitCode.OK;
    }
  }
}
