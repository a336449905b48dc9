package io.fleet.api.data;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import io.fleet.api.FleetConfigException;
import io.fleet.api.FleetJson;
import io.fleet.api.Names;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Refuses, with line and column, a host, secret or part name in fleet data JSON that {@link Names}
 * does not allow: these names become paths on the hosts, so a hand-edited file must not reach
 * outside {@code /run/secrets}. Runs over text that has already been read as {@link FleetData}.
 */
final class JsonNameCheck {
  private final String source;

  private JsonNameCheck(String source) {
    this.source = source;
  }

  /** Checks every name in {@code json}, the text of fleet data named {@code source}. */
  static void check(String json, String source) {
    new JsonNameCheck(source).run(json);
  }

  private void run(String json) {
    try (JsonParser p = FleetJson.mapper().getFactory().createParser(json)) {
      Set<String> owners = new HashSet<>();
      JsonToken t;
      while ((t = p.nextToken()) != null) {
        if (t == JsonToken.FIELD_NAME) {
          List<Object> path = path(p.getParsingContext());
          checkField(path, p.currentName(), p.currentTokenLocation());
        } else if (t == JsonToken.START_ARRAY) {
          owners.clear();
        } else if (t == JsonToken.VALUE_STRING) {
          List<Object> path = path(p.getParsingContext());
          if (path.size() == 4
              && "sharedSecrets".equals(path.get(0))
              && "owners".equals(path.get(2))) {
            String owner = p.getText();
            String where = "sharedSecrets." + path.get(1) + ".owners";
            fail(Names.hostNameProblem(owner), where + ": the owner's ", p.currentTokenLocation());
            if (!owners.add(owner)) {
              throw error(
                  p.currentTokenLocation(),
                  where + " lists " + Names.quote(owner) + " twice; list each host once");
            }
          }
        }
      }
    } catch (IOException e) {
      // The text was read as FleetData already; a failure here is not the user's to fix.
      throw new FleetConfigException(source + ": cannot read the JSON again: " + e.getMessage());
    }
  }

  /** The names and indexes from the top value down to {@code ctx} (field names included). */
  private static List<Object> path(JsonStreamContext ctx) {
    List<Object> path = new ArrayList<>();
    for (JsonStreamContext c = ctx; c != null && !c.inRoot(); c = c.getParent()) {
      path.add(c.inArray() ? (Object) c.getCurrentIndex() : c.getCurrentName());
    }
    Collections.reverse(path);
    return path;
  }

  private void checkField(List<Object> path, String name, JsonLocation at) {
    int n = path.size();
    String top = n > 0 && path.get(0) instanceof String ? (String) path.get(0) : "";
    if (top.equals("hosts") && n == 2) {
      fail(Names.hostNameProblem(name), "hosts: the ", at);
    } else if (top.equals("sharedSecrets") && n == 2) {
      fail(Names.secretNameProblem(name), "sharedSecrets: the ", at);
    } else if (top.equals("sharedSecrets")
        && n == 5
        && "secret".equals(path.get(2))
        && "parts".equals(path.get(3))) {
      fail(Names.partNameProblem(name), "sharedSecrets." + path.get(1) + ": the ", at);
    } else if (top.equals("hostSecrets") && n == 2) {
      fail(Names.hostNameProblem(name), "hostSecrets: the ", at);
    } else if (top.equals("hostSecrets") && n == 3) {
      fail(Names.secretNameProblem(name), "hostSecrets." + path.get(1) + ": the ", at);
    } else if (top.equals("hostSecrets") && n == 5 && "parts".equals(path.get(3))) {
      fail(
          Names.partNameProblem(name),
          "hostSecrets." + path.get(1) + "." + path.get(2) + ": the ",
          at);
    }
  }

  private void fail(Optional<String> problem, String where, JsonLocation at) {
    if (problem.isPresent()) {
      throw error(at, where + problem.get() + "; rename it in the file");
    }
  }

  private FleetConfigException error(JsonLocation at, String problem) {
    return new FleetConfigException(
        source, Math.max(at.getLineNr(), 1), Math.max(at.getColumnNr(), 1), problem);
  }
}
