package io.fleet.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * The Jackson configuration every value type of the library is serialised with: ISO-8601 times and
 * durations, {@code Optional}s as values, maps sorted by key, pretty-printed.
 */
public final class FleetJson {
  private static final ObjectMapper MAPPER = newMapper();

  private FleetJson() {}

  /** A new mapper configured for the library's value types; callers may configure it further. */
  public static ObjectMapper newMapper() {
    return JsonMapper.builder()
        .addModule(new Jdk8Module())
        .addModule(new JavaTimeModule())
        .defaultPropertyInclusion(
            com.fasterxml.jackson.annotation.JsonInclude.Value.construct(
                com.fasterxml.jackson.annotation.JsonInclude.Include.NON_ABSENT,
                com.fasterxml.jackson.annotation.JsonInclude.Include.NON_ABSENT))
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
        .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
        .enable(SerializationFeature.INDENT_OUTPUT)
        .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
        .build();
  }

  /** The shared mapper. Do not reconfigure it; use {@link #newMapper()} for that. */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /** {@code value} as pretty-printed JSON. */
  public static String toJson(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new FleetException(
          "cannot write "
              + value.getClass().getSimpleName()
              + " as JSON: "
              + e.getOriginalMessage(),
          e);
    }
  }

  /**
   * Reads {@code json} as a {@code type}.
   *
   * @throws FleetConfigException if it is not valid JSON of that type, with line and column
   */
  public static <T> T fromJson(String json, Class<T> type) {
    try {
      return MAPPER.readValue(json, type);
    } catch (JsonProcessingException e) {
      int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
      int col = e.getLocation() == null ? 0 : e.getLocation().getColumnNr();
      throw new FleetConfigException(
          type.getSimpleName() + " JSON",
          Math.max(line, 1),
          Math.max(col, 1),
          e.getOriginalMessage());
    }
  }
}
