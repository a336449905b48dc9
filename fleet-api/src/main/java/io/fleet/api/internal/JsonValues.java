package io.fleet.api.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Canonical JSON values, so that equality does not depend on how a value was made. Jackson reads
 * {@code 7} as an {@code IntNode}, while {@code JsonNodeFactory.numberNode(7L)} makes a {@code
 * LongNode}, and the two are not {@code equals}; generation data declared in Java and read back
 * from a data file must compare equal, so every JSON value the model holds is put in the form
 * Jackson's reader gives: the smallest of int, long and big integer for integral numbers, double
 * for the others, recursively. Not API.
 */
public final class JsonValues {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private JsonValues() {}

  /** {@code node} in canonical form; the same instance when it already is. */
  public static JsonNode canonical(JsonNode node) {
    if (node == null || isCanonical(node)) {
      return node;
    }
    if (node.isIntegralNumber()) {
      BigInteger v = node.bigIntegerValue();
      if (v.bitLength() < 32) {
        return JSON.numberNode(v.intValue());
      }
      if (v.bitLength() < 64) {
        return JSON.numberNode(v.longValue());
      }
      return JSON.numberNode(v);
    }
    if (node.isNumber()) {
      return JSON.numberNode(node.doubleValue());
    }
    if (node.isArray()) {
      ArrayNode out = JSON.arrayNode(node.size());
      node.forEach(e -> out.add(canonical(e)));
      return out;
    }
    if (node.isObject()) {
      ObjectNode out = JSON.objectNode();
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        out.set(e.getKey(), canonical(e.getValue()));
      }
      return out;
    }
    return node;
  }

  /** {@code node} in canonical form, if present. */
  public static Optional<JsonNode> canonical(Optional<JsonNode> node) {
    return node.map(JsonValues::canonical);
  }

  /** Every value of {@code map} in canonical form, in a sorted copy. */
  public static SortedMap<String, JsonNode> canonical(Map<String, JsonNode> map) {
    SortedMap<String, JsonNode> out = new TreeMap<>();
    map.forEach((k, v) -> out.put(k, canonical(v)));
    return out;
  }

  /** Whether every value of {@code map} is canonical. */
  public static boolean isCanonical(Map<String, JsonNode> map) {
    return map.values().stream().allMatch(JsonValues::isCanonical);
  }

  /** Whether {@code node} is already canonical. */
  public static boolean isCanonical(JsonNode node) {
    if (node == null) {
      return true;
    }
    if (node.isIntegralNumber()) {
      BigInteger v = node.bigIntegerValue();
      if (v.bitLength() < 32) {
        return node.isInt();
      }
      return v.bitLength() < 64 ? node.isLong() : node.isBigInteger();
    }
    if (node.isNumber()) {
      return node.isDouble();
    }
    if (node.isContainerNode()) {
      for (JsonNode child : node) {
        if (!isCanonical(child)) {
          return false;
        }
      }
    }
    return true;
  }
}
