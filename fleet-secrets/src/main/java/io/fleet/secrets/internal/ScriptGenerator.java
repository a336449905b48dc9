package io.fleet.secrets.internal;

import io.fleet.api.Generators;
import io.fleet.api.data.SecretPart;
import io.fleet.api.data.StoredSecret;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Connection;
import io.fleet.api.spi.SecretGenerator;
import io.fleet.api.spi.SecretHostCommands;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * {@value Generators#SCRIPT}: runs a shell script where the request's connection leads (the host
 * named by {@code runOn}, or the caller's local connection) with {@code $out} set to an empty
 * directory, as the original fleet's impure generators do. Every file the script leaves in {@code
 * $out} becomes a part; {@code created_at} and {@code expires_at}, if present, are timestamps
 * (ISO-8601, or seconds since the epoch). The script encrypts private parts on that host by piping
 * them through {@code encrypt} (age to the owners' keys; the host needs the {@code age} CLI), so no
 * plaintext of them leaves it; parts that are age files are stored encrypted, the others as public
 * plaintext. A part named {@code secret} that is not encrypted is refused.
 */
public final class ScriptGenerator implements SecretGenerator {
  private static final Pattern PART_NAME = Pattern.compile("[A-Za-z0-9_+@-][A-Za-z0-9._+@-]*");
  private static final String ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";
  private static final String ARMOR_END = "-----END AGE ENCRYPTED FILE-----";

  /** For {@code ServiceLoader}. */
  public ScriptGenerator() {}

  @Override
  public String kind() {
    return Generators.SCRIPT;
  }

  @Override
  public StoredSecret generate(Request request) {
    String script =
        request
            .generator()
            .text("script")
            .orElseThrow(() -> GeneratedSecret.invalid(request, "has no script"));
    Connection conn =
        request
            .host()
            .orElseThrow(
                () ->
                    GeneratedSecret.invalid(
                        request,
                        request.generator().runOn().isPresent()
                            ? "cannot reach host " + request.generator().runOn().get()
                            : "runs locally, but no local connection was given:"
                                + " configure SecretRotation.Builder.localConnection"
                                + " (for example a LocalTransport connection)"));
    if (request.recipients().isEmpty()) {
      throw GeneratedSecret.invalid(request, "has no recipients: give its owners host keys");
    }
    long timeout = request.generator().number("timeoutSeconds", 600);
    CommandResult r =
        conn.run(
            SecretHostCommands.generate(
                script, request.recipients(), Duration.ofSeconds(Math.max(1, timeout))));
    String where = "on host " + conn.host();
    if (r.exitCode() == 97) {
      throw GeneratedSecret.invalid(request, "the script " + where + " removed $out: " + tail(r));
    }
    if (!r.isSuccess()) {
      throw GeneratedSecret.invalid(
          request,
          "the script failed " + where + " with exit code " + r.exitCode() + ": " + tail(r));
    }
    StoredSecret.Builder b = StoredSecret.builder().createdAt(request.now());
    int parts = 0;
    for (String line : r.stdoutText().split("\n")) {
      if (line.isEmpty()) {
        continue;
      }
      int sp = line.indexOf(' ');
      String name = sp < 0 ? line : line.substring(0, sp);
      byte[] content;
      try {
        content = Base64.getDecoder().decode(sp < 0 ? "" : line.substring(sp + 1));
      } catch (IllegalArgumentException e) {
        throw GeneratedSecret.invalid(request, "unreadable output from the script " + where);
      }
      if (name.equals("created_at") || name.equals("expires_at")) {
        Instant t = timestamp(request, name, content);
        if (name.equals("created_at")) {
          b.createdAt(t);
        } else {
          b.expiresAt(t);
        }
        continue;
      }
      if (!PART_NAME.matcher(name).matches()) {
        throw GeneratedSecret.invalid(
            request, "the script left a file with an invalid part name in $out: " + name);
      }
      SecretPart part = part(content);
      if (name.equals("secret") && !part.isEncrypted()) {
        throw GeneratedSecret.invalid(
            request,
            "the script left $out/secret unencrypted: pipe private parts through encrypt"
                + " (for example: make-key | encrypt > $out/secret)");
      }
      b.putParts(name, part);
      parts++;
    }
    if (parts == 0) {
      throw GeneratedSecret.invalid(request, "the script " + where + " left no parts in $out");
    }
    return b.build();
  }

  private static SecretPart part(byte[] content) {
    if (AgeStanzas.isBinaryAgeFile(content)) {
      return SecretPart.encrypted(content);
    }
    String text = new String(content, StandardCharsets.UTF_8).strip();
    if (text.startsWith(ARMOR_BEGIN) && text.endsWith(ARMOR_END)) {
      try {
        byte[] bin =
            Base64.getMimeDecoder()
                .decode(text.substring(ARMOR_BEGIN.length(), text.length() - ARMOR_END.length()));
        if (AgeStanzas.isBinaryAgeFile(bin)) {
          return SecretPart.encrypted(bin);
        }
      } catch (IllegalArgumentException e) {
        // Not armor after all; keep it as the text it is.
      }
    }
    return SecretPart.plaintext(content);
  }

  private static Instant timestamp(Request request, String name, byte[] content) {
    String s = new String(content, StandardCharsets.UTF_8).strip();
    try {
      if (s.matches("[0-9]{1,12}")) {
        return Instant.ofEpochSecond(Long.parseLong(s));
      }
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      throw GeneratedSecret.invalid(
          request,
          "$out/"
              + name
              + " is not a timestamp: write ISO-8601 such as 2030-01-01T00:00:00Z (date -u"
              + " +%Y-%m-%dT%H:%M:%SZ) or seconds since the epoch");
    }
  }

  private static String tail(CommandResult r) {
    String err = r.stderrText().strip();
    return err.length() > 2000 ? "…" + err.substring(err.length() - 2000) : err;
  }
}
