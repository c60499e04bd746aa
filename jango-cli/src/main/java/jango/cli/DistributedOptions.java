package jango.cli;

import jango.engine.port.ShardStore;
import jango.kafka.DistributedConfig;
import jango.postgres.PgShardStore;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;

/**
 * Where distributed mode's broker and database are: each from its option, else the environment
 * ({@code JANGO_KAFKA}, {@code JANGO_POSTGRES}, {@code JANGO_PG_USER}, {@code JANGO_PG_PASSWORD},
 * {@code JANGO_INSTANCE}), else a properties file ({@code --config}, keys kafka, postgres,
 * postgres.user, postgres.password, instance).
 */
final class DistributedOptions {
    @Option(names = "--kafka", paramLabel = "HOST:PORT", description = "Kafka bootstrap servers (env JANGO_KAFKA)")
    String kafka;

    @Option(names = "--postgres", paramLabel = "JDBC_URL", description = "PostgreSQL, e.g. jdbc:postgresql://127.0.0.1:5432/jango (env JANGO_POSTGRES)")
    String postgres;

    @Option(names = "--pg-user", description = "database user (env JANGO_PG_USER; default jango)")
    String user;

    @Option(names = "--pg-password", description = "database password (env JANGO_PG_PASSWORD; default jango)")
    String password;

    @Option(names = "--instance-id", description = "this instance's name in the consumer group and the store (env JANGO_INSTANCE; default random)")
    String instance;

    @Option(names = "--session-timeout-ms", defaultValue = "10000",
            description = "how long a silent instance keeps its shards before others take them (default: ${DEFAULT-VALUE})")
    long sessionTimeoutMs;

    @Option(names = "--config", paramLabel = "FILE", description = "a properties file with kafka=, postgres=, postgres.user=, postgres.password=, instance=")
    Path config;

    private Properties file;

    String kafka() {
        return require(pick(kafka, "JANGO_KAFKA", "kafka"), "--kafka HOST:PORT (or JANGO_KAFKA, or kafka= in --config)");
    }

    String postgres() {
        return require(pick(postgres, "JANGO_POSTGRES", "postgres"), "--postgres JDBC_URL (or JANGO_POSTGRES, or postgres= in --config)");
    }

    ShardStore openStore() {
        String url = postgres();
        String name = pick(user, "JANGO_PG_USER", "postgres.user");
        String secret = pick(password, "JANGO_PG_PASSWORD", "postgres.password");
        return PgShardStore.open(url, name == null ? "jango" : name, secret == null ? "jango" : secret);
    }

    DistributedConfig distributedConfig() {
        DistributedConfig defaults = DistributedConfig.defaults(kafka()).withSessionTimeout(Duration.ofMillis(sessionTimeoutMs));
        String id = pick(instance, "JANGO_INSTANCE", "instance");
        return id == null ? defaults : defaults.withInstanceId(id);
    }

    private String pick(String option, String env, String key) {
        if (option != null && !option.isBlank()) {
            return option;
        }
        String fromEnv = System.getenv(env);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv;
        }
        return fileProperties().getProperty(key);
    }

    private Properties fileProperties() {
        if (file == null) {
            file = new Properties();
            if (config != null) {
                try (Reader reader = Files.newBufferedReader(config)) {
                    file.load(reader);
                } catch (IOException e) {
                    throw new IllegalArgumentException("--config " + config + ": " + e.getMessage());
                }
            }
        }
        return file;
    }

    private static String require(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("distributed mode needs " + what);
        }
        return value;
    }
}
