package io.fleet.secrets;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleet.api.data.FleetData;
import io.fleet.api.data.SecretPart;
import io.fleet.api.data.SharedSecretData;
import io.fleet.api.data.StoredSecret;
import io.fleet.secrets.age.Age;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Hosts with keys, and stored secrets encrypted to them with the library's age. */
final class PlanFixtures {
  final Map<String, TestKeys> keys = new TreeMap<>();

  PlanFixtures(String... hosts) {
    for (String h : hosts) {
      keys.put(h, TestKeys.generate());
    }
  }

  FleetData dataWithKeys() {
    FleetData d = FleetData.empty();
    for (Map.Entry<String, TestKeys> e : keys.entrySet()) {
      d = d.withHostKey(e.getKey(), e.getValue().recipient);
    }
    return d;
  }

  StoredSecret secret(Instant created, Instant expires, JsonNode generationData, String... owners) {
    List<String> recipients = new ArrayList<>();
    for (String o : owners) {
      recipients.add(keys.get(o).recipient);
    }
    StoredSecret.Builder b =
        StoredSecret.builder()
            .createdAt(created)
            .putParts(
                "secret",
                SecretPart.encrypted(
                    Age.encrypt("value".getBytes(StandardCharsets.UTF_8), recipients)))
            .putParts("public", SecretPart.plaintext("public value"));
    if (expires != null) {
      b.expiresAt(expires);
    }
    if (generationData != null) {
      b.generationData(generationData);
    }
    return b.build();
  }

  static SharedSecretData shared(StoredSecret s, String... owners) {
    return SharedSecretData.of(List.of(owners), s);
  }

  /** Every private part's plaintext, decrypted with its owners' keys. */
  List<byte[]> plaintexts(FleetData d, io.fleet.api.spi.SecretCipher cipher) {
    List<byte[]> out = new ArrayList<>();
    d.sharedSecrets()
        .forEach(
            (name, s) ->
                s.secret().parts().values().stream()
                    .filter(SecretPart::isEncrypted)
                    .forEach(
                        p ->
                            out.add(
                                cipher.decrypt(
                                    p.bytes(), List.of(keys.get(s.owners().get(0)).identity)))));
    d.hostSecrets()
        .forEach(
            (host, m) ->
                m.values()
                    .forEach(
                        s ->
                            s.parts().values().stream()
                                .filter(SecretPart::isEncrypted)
                                .forEach(
                                    p ->
                                        out.add(
                                            cipher.decrypt(
                                                p.bytes(), List.of(keys.get(host).identity))))));
    return out;
  }
}
