package jango.cli;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * Dependencies point down only (shared/ARCHITECTURE.md): engine <- writer <- embedded | kafka,
 * engine <- postgres, server <- streams <- channel, server <- bench <- cli. The writer loop knows
 * the engine and its ports only. The server reaches a backend only through the engine's port,
 * never an adapter directly, and the adapters know each other only through the port (ShardStore).
 * The gRPC API types (jango.api) depend on nothing of Jango; the Java client (jango.client) only
 * on them, so users can take it without the server.
 */
class LayeringTest {
    private static final JavaClasses JANGO = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            // The modules' test-jars (shared contracts and fixtures) are tests too.
            .withImportOption(location -> !location.contains("-tests.jar"))
            .importPackages("jango");

    @Test
    void engineDependsOnNoOtherModule() {
        noClasses().that().resideInAPackage("jango.engine..")
                .should().dependOnClassesThat().resideInAnyPackage("jango.embedded..", "jango.server..", "jango.bench..", "jango.cli..",
                        "jango.kafka..", "jango.postgres..", "jango.writer..", "jango.bank..", "jango.api..", "jango.client..",
                        "jango.streams..", "jango.channel..")
                .check(JANGO);
    }

    /** The bank gateway sits on the Ledger port only, so it runs over embedded and distributed mode alike. */
    @Test
    void bankGatewayKnowsOnlyTheEnginesPort() {
        noClasses().that().resideInAPackage("jango.bank..")
                .should().dependOnClassesThat().resideInAnyPackage("jango.embedded..", "jango.kafka..", "jango.postgres..",
                        "jango.writer..", "jango.server..", "jango.bench..", "jango.cli..")
                .check(JANGO);
    }

    @Test
    void writerLoopKnowsOnlyTheEngine() {
        noClasses().that().resideInAPackage("jango.writer..")
                .should().dependOnClassesThat().resideInAnyPackage("jango.embedded..", "jango.kafka..", "jango.postgres..",
                        "jango.server..", "jango.bench..", "jango.cli..", "com.linecorp..", "org.apache.kafka..", "org.rocksdb..")
                .check(JANGO);
    }

    @Test
    void apiTypesDependOnNothingOfJango() {
        noClasses().that().resideInAPackage("jango.api..")
                .should().dependOnClassesThat().resideInAnyPackage("jango.engine..", "jango.embedded..", "jango.server..", "jango.bench..",
                        "jango.cli..", "jango.kafka..", "jango.postgres..", "jango.client..")
                .check(JANGO);
    }

    @Test
    void onlyTheCliKnowsTheBankGateway() {
        noClasses().that().resideInAnyPackage("jango.embedded..", "jango.kafka..", "jango.postgres..", "jango.server..", "jango.bench..")
                .should().dependOnClassesThat().resideInAPackage("jango.bank..")
                .check(JANGO);
    }

    @Test
    void clientKnowsOnlyTheApiTypes() {
        noClasses().that().resideInAPackage("jango.client..")
                .should().dependOnClassesThat().resideInAnyPackage("jango.engine..", "jango.embedded..", "jango.server..", "jango.bench..",
                        "jango.cli..", "jango.kafka..", "jango.postgres..", "com.linecorp..")
                .check(JANGO);
    }

    /** The channel side in the ledger's process sits on the server and the port, never on a backend. */
    @Test
    void streamsKnowTheLedgerOnlyThroughThePort() {
        noClasses().that().resideInAPackage("jango.streams..")
                .should().dependOnClassesThat().resideInAnyPackage("jango.embedded..", "jango.kafka..", "jango.postgres..",
                        "jango.channel..", "jango.bench..", "jango.cli..")
                .check(JANGO);
    }

    /** The channel copy is another process: it reads the ledger over the wire, never its code. */
    @Test
    void channelCopyKnowsTheLedgerOnlyOverTheWire() {
        noClasses().that().resideInAPackage("jango.channel..")
                .should().dependOnClassesThat().resideInAnyPackage("jango.embedded..", "jango.kafka..", "jango.server..",
                        "jango.bench..", "jango.cli..")
                .check(JANGO);
    }

    @Test
    void kafkaAdapterKnowsOnlyTheEngine() {
        noClasses().that().resideInAPackage("jango.kafka..")
                .should().dependOnClassesThat().resideInAnyPackage("jango.embedded..", "jango.postgres..", "jango.server..",
                        "jango.bench..", "jango.cli..", "com.linecorp..", "jango.api..", "jango.client..")
                .check(JANGO);
    }

    @Test
    void postgresAdapterKnowsOnlyTheEngine() {
        noClasses().that().resideInAPackage("jango.postgres..")
                .should().dependOnClassesThat().resideInAnyPackage("jango.embedded..", "jango.kafka..", "jango.server..",
                        "jango.bench..", "jango.cli..", "jango.writer..", "com.linecorp..", "org.apache.kafka..", "jango.api..", "jango.client..")
                .check(JANGO);
    }

    @Test
    void embeddedAdapterDoesNotReachUp() {
        noClasses().that().resideInAPackage("jango.embedded..")
                .should().dependOnClassesThat().resideInAnyPackage("jango.server..", "jango.bench..", "jango.cli..", "com.linecorp..", "jango.api..", "jango.client..")
                .check(JANGO);
    }

    @Test
    void benchIsUsedOnlyByTheCli() {
        noClasses().that().resideInAPackage("jango.bench..")
                .should().dependOnClassesThat().resideInAnyPackage("jango.cli..")
                .check(JANGO);
    }

    @Test
    void serverKnowsBackendsOnlyThroughThePort() {
        noClasses().that().resideInAPackage("jango.server..")
                .should().dependOnClassesThat().resideInAnyPackage("jango.embedded..", "jango.kafka..", "jango.postgres..", "jango.bench..", "jango.cli..",
                        "jango.client..", "jango.streams..", "jango.channel..")
                .check(JANGO);
    }
}
