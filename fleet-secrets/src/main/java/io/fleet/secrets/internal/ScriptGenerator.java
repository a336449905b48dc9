package io.fleet.secrets.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleet.api.Generators;
import io.fleet.api.Names;
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
import java.util.Set;
import java.util.TreeSet;

/**
 * {@value Generators#SCRIPT}: runs a shell script where the request's connection leads (the host
 * named by {@code runOn}, or the caller's local connection) with {@code $out} set to an empty
 * directory, as the original fleet's impure generators do. The script encrypts private parts on
 * that host by piping them through {@code encrypt} (age to the owners' keys; the host needs the
 * {@code age} CLI), so no plaintext of them leaves it.
 *
 * <p>Only the parts the generator declares are stored, each as declared: the {@code secretParts}
 * (default {@code secret}) must be age files and are stored encrypted, the {@code publicParts}
 * (default {@code public}) are stored as plaintext; {@code created_at} and {@code expires_at}, if
 * present, are timestamps (ISO-8601, or seconds since the epoch). Any other file in {@code $out} is
 * refused, since storing it would put whatever it holds into the fleet data, in git.
 *
 * <p>The script's own output (standard output and error) may hold the secret: it never reaches an
 * exception message or a log; a failure says how many bytes it wrote and how to see them.
 */
public final class ScriptGenerator implements SecretGenerator {
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
      throw GeneratedSecret.invalid(request, "the script " + where + " removed $out" + output(r));
    }
    if (r.exitCode() == 98) {
      throw GeneratedSecret.invalid(
          request,
          "the script " + where + " left something in $out that is not a regular file" + output(r));
    }
    if (!r.isSuccess()) {
      throw GeneratedSecret.invalid(
          request, "the script failed " + where + " with exit code " + r.exitCode() + output(r));
    }
    Set<String> secretParts = declared(request, "secretParts", "secret");
    Set<String> publicParts = declared(request, "publicParts", "public");
    for (String name : secretParts) {
      if (publicParts.contains(name)) {
        throw GeneratedSecret.invalid(
            request, "declares part " + Names.quote(name) + " both secret and public; pick one");
      }
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
      SecretPart part;
      if (secretParts.contains(name)) {
        part = encrypted(content);
        if (part == null) {
          throw GeneratedSecret.invalid(
              request,
              "the script "
                  + where
                  + " left $out/"
                  + name
                  + " unencrypted ("
                  + content.length
                  + " bytes, not stored): pipe private parts through encrypt"
                  + " (for example: make-key | encrypt > $out/"
                  + name
                  + ")");
        }
      } else if (publicParts.contains(name)) {
        part = SecretPart.plaintext(content);
      } else {
        throw GeneratedSecret.invalid(
            request,
            "the script "
                + where
                + " left a file the generator does not declare, $out/"
                + Names.quote(name)
                + " ("
                + content.length
                + " bytes, not stored, since it would go into the fleet data as it is): remove it"
                + " in the script, or declare it with Generators.script(script, secretParts,"
                + " publicParts) (declared: secret "
                + secretParts
                + ", public "
                + publicParts
                + ")");
      }
      b.putParts(name, part);
      parts++;
    }
    if (parts == 0) {
      throw GeneratedSecret.invalid(request, "the script " + where + " left no parts in $out");
    }
    return b.build();
  }

  /**
   * The parts the generator declares in {@code parameter} (a list of part names, or one name), or
   * {@code fallback} alone.
   */
  private static Set<String> declared(Request request, String parameter, String fallback) {
    JsonNode node = request.generator().parameters().get(parameter);
    Set<String> names = new TreeSet<>();
    if (node == null || node.isNull()) {
      names.add(fallback);
      return names;
    }
    if (node.isTextual()) {
      names.add(node.textValue());
    } else if (node.isArray()) {
      for (JsonNode n : node) {
        if (!n.isTextual()) {
          throw GeneratedSecret.invalid(
              request, parameter + " must list part names as strings, found " + n.getNodeType());
        }
        names.add(n.textValue());
      }
    } else {
      throw GeneratedSecret.invalid(
          request, parameter + " must be a list of part names, found " + node.getNodeType());
    }
    for (String n : names) {
      if (!Names.isValidPartName(n) || n.equals("created_at") || n.equals("expires_at")) {
        throw GeneratedSecret.invalid(
            request,
            parameter
                + ": "
                + Names.partNameProblem(n).orElse("part name " + Names.quote(n) + " is reserved")
                + " (created_at and expires_at are timestamps)");
      }
    }
    return names;
  }

  /** The content as a stored encrypted part if it is an age file (binary or armored), else null. */
  private static SecretPart encrypted(byte[] content) {
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
        // Not armor after all.
      }
    }
    return null;
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

  /**
   * What to say about the script's output: only its size, since it may hold the secret (a script
   * that prints the key it made), and where to see it.
   */
  private static String output(CommandResult r) {
    int n = r.stderr().length;
    if (n == 0) {
      return "; it printed nothing";
    }
    return "; its output ("
        + n
        + " bytes) is not shown or logged, since it may hold the secret: run the script by hand"
        + " on that host to see it";
  }
}
