package io.fleet.examples.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleet.api.FleetJson;
import io.fleet.api.Host;
import io.fleet.api.SecretSpec;
import io.fleet.api.data.FleetData;
import io.fleet.api.data.SharedSecretData;
import io.fleet.api.data.StoredSecret;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import picocli.CommandLine.Command;

/** The {@code secrets list} command. */
final class SecretsList {
  private SecretsList() {}

  /** {@code secrets list}. */
  @Command(
      name = "list",
      description = "List declared and stored secrets of the selected hosts, and shared ones.")
  static final class ListSecrets extends SecretsCommand.Sub {
    @Override
    int run(Session s) {
      FleetData data = s.loadExisting();
      ArrayNode all = FleetJson.mapper().createArrayNode();
      for (Host h : s.selected()) {
        Map<String, StoredSecret> stored = data.hostSecrets().getOrDefault(h.name(), Map.of());
        TreeSet<String> names = new TreeSet<>(h.secrets().keySet());
        names.addAll(stored.keySet());
        for (String name : names) {
          ObjectNode o = all.addObject();
          o.put("kind", "host").put("host", h.name()).put("name", name);
          o.putArray("owners").add(h.name());
          describe(o, h.secrets().containsKey(name), Optional.ofNullable(stored.get(name)));
        }
      }
      TreeSet<String> shared = new TreeSet<>(s.fleet.sharedSecrets().keySet());
      shared.addAll(data.sharedSecrets().keySet());
      for (String name : shared) {
        Optional<SecretSpec> spec = s.fleet.sharedSecret(name);
        Optional<SharedSecretData> st = data.sharedSecret(name);
        ObjectNode o = all.addObject();
        o.put("kind", "shared").put("name", name);
        ArrayNode owners = o.putArray("owners");
        (st.isPresent() ? st.get().owners() : spec.get().owners()).forEach(owners::add);
        describe(o, spec.isPresent(), st.map(SharedSecretData::secret));
      }
      if (cli().json) {
        cli().out.println(FleetJson.toJson(all));
        return ExitCode.OK;
      }
      cli().out.printf("%-7s %-24s %-9s %-24s %s%n", "KIND", "NAME", "STATE", "CREATED", "OWNERS");
      for (var n : all) {
        cli()
            .out
            .printf(
                "%-7s %-24s %-9s %-24s %s%n",
                n.get("kind").asText(),
                (n.has("host") ? n.get("host").asText() + "/" : "") + n.get("name").asText(),
                n.get("state").asText(),
                n.has("createdAt") ? n.get("createdAt").asText() : "-",
                n.get("owners").toString());
      }
      return ExitCode.OK;
    }

    private static void describe(ObjectNode o, boolean declared, Optional<StoredSecret> stored) {
      o.put("declared", declared);
      o.put("stored", stored.isPresent());
      o.put("state", !stored.isPresent() ? "missing" : declared ? "stored" : "undeclared");
      stored.ifPresent(
          st -> {
            o.put("createdAt", st.createdAt().toString());
            st.expiresAt().ifPresent(e -> o.put("expiresAt", e.toString()));
            ArrayNode parts = o.putArray("parts");
            st.parts().keySet().forEach(parts::add);
          });
    }
  }
}
