package jango.engine;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import jango.engine.archfixture.Violations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine is a pure, deterministic state machine (ARCHITECTURE.md): JDK only; no files,
 * sockets, threads, locks or clocks; time comes from the log; money is never a float.
 *
 * <p>How we know these rules can fail: {@link #everyRuleCatchesItsViolation} runs each rule
 * against test-only classes in {@code jango.engine.archfixture} that break exactly that rule, and
 * {@link #nothingAllowedIsCaught} runs all rules against a class using only what the engine may
 * use (ConcurrentHashMap, CompletableFuture, given streams, MessageDigest). Before writing that, the
 * rules were also checked once against a deliberately bad class in src/main (a
 * {@code jango.engine.BadClock} with a {@code double} field calling {@code System.currentTimeMillis()}
 * and {@code new java.io.File(..)}): the main checks below failed naming it, and it was removed.
 */
class EngineArchitectureTest {
    private static final String ENGINE = "jango.engine..";

    /** The engine's production classes only: the fixtures live under test-classes and are left out. */
    private static final JavaClasses ENGINE_CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("jango.engine");

    static final ArchRule JDK_ONLY = classes().that().resideInAPackage(ENGINE)
            .should().onlyDependOnClassesThat().resideInAnyPackage(ENGINE, "java..", "org.agrona.collections..")
            .because("the engine depends on the JDK and Agrona's primitive collections only: no other Jango module, no framework");

    static final ArchRule NO_FILES = noClasses().that().resideInAPackage(ENGINE)
            .should().dependOnClassesThat().haveNameMatching("java\\.io\\.(File|RandomAccess).*")
            .orShould().dependOnClassesThat().resideInAnyPackage("java.nio.file..", "java.nio.channels..")
            .because("the engine never opens a file: callers hand it streams");

    static final ArchRule NO_NETWORK = noClasses().that().resideInAPackage(ENGINE)
            .should().dependOnClassesThat().resideInAPackage("java.net..")
            .because("the engine knows nothing of sockets");

    static final ArchRule NO_THREADS_OR_LOCKS = noClasses().that().resideInAPackage(ENGINE)
            .should().dependOnClassesThat().areAssignableTo(Thread.class)
            .orShould().dependOnClassesThat().haveNameMatching("java\\.util\\.concurrent\\.(.*Executor.*|ForkJoin.*)")
            .orShould().dependOnClassesThat().resideInAPackage("java.util.concurrent.locks..")
            .because("one writer applies the log; the engine starts no threads and takes no locks");

    static final ArchRule NO_CLOCKS = noClasses().that().resideInAPackage(ENGINE)
            .should().dependOnClassesThat().areAssignableTo(java.time.Clock.class)
            .orShould().callMethod(System.class, "currentTimeMillis")
            .orShould().callMethod(System.class, "nanoTime")
            .orShould().callMethodWhere(staticNowOfJavaTime())
            .because("time reaches the engine only as the sequencer's stamp on each log entry");

    static final ArchRule NO_RANDOMNESS = noClasses().that().resideInAPackage(ENGINE)
            .should().dependOnClassesThat().areAssignableTo(java.util.Random.class)
            .orShould().dependOnClassesThat().resideInAPackage("java.util.random..")
            .orShould().callMethod(Math.class, "random")
            .because("replaying the same log must give byte-identical state");

    static final ArchRule NO_FLOATING_POINT = classes().that().resideInAPackage(ENGINE)
            .should(haveNoFloatingPointInSignatures())
            .because("money is exact: floats never hold an amount");

    private static final Map<String, ArchRule> RULES = Map.of(
            "JDK_ONLY", JDK_ONLY, "NO_FILES", NO_FILES, "NO_NETWORK", NO_NETWORK, "NO_THREADS_OR_LOCKS", NO_THREADS_OR_LOCKS,
            "NO_CLOCKS", NO_CLOCKS, "NO_RANDOMNESS", NO_RANDOMNESS, "NO_FLOATING_POINT", NO_FLOATING_POINT);

    @Test
    void theImportSeesTheEngineAndNotTheFixtures() {
        assertThat(ENGINE_CLASSES.contain(Engine.class)).isTrue();
        assertThat(ENGINE_CLASSES.contain(jango.engine.port.Ledger.class)).isTrue();
        assertThat(ENGINE_CLASSES.contain(Violations.Allowed.class)).isFalse();
        assertThat(ENGINE_CLASSES.contain(EngineArchitectureTest.class)).isFalse();
    }

    @Test
    void dependsOnTheJdkOnly() {
        JDK_ONLY.check(ENGINE_CLASSES);
    }

    @Test
    void opensNoFiles() {
        NO_FILES.check(ENGINE_CLASSES);
    }

    @Test
    void usesNoNetwork() {
        NO_NETWORK.check(ENGINE_CLASSES);
    }

    @Test
    void startsNoThreadsAndTakesNoLocks() {
        NO_THREADS_OR_LOCKS.check(ENGINE_CLASSES);
    }

    @Test
    void readsNoClock() {
        NO_CLOCKS.check(ENGINE_CLASSES);
    }

    @Test
    void usesNoRandomness() {
        NO_RANDOMNESS.check(ENGINE_CLASSES);
    }

    @Test
    void hasNoFloatingPoint() {
        NO_FLOATING_POINT.check(ENGINE_CLASSES);
    }

    static Stream<Arguments> violations() {
        return Stream.of(
                Arguments.of("JDK_ONLY", Violations.UsesAFramework.class),
                Arguments.of("JDK_ONLY", Violations.UsesAgronaBeyondItsCollections.class),
                Arguments.of("NO_FILES", Violations.UsesFile.class),
                Arguments.of("NO_FILES", Violations.UsesFileInputStream.class),
                Arguments.of("NO_FILES", Violations.UsesRandomAccessFile.class),
                Arguments.of("NO_FILES", Violations.UsesPath.class),
                Arguments.of("NO_FILES", Violations.UsesChannel.class),
                Arguments.of("NO_NETWORK", Violations.UsesSocket.class),
                Arguments.of("NO_THREADS_OR_LOCKS", Violations.UsesThread.class),
                Arguments.of("NO_THREADS_OR_LOCKS", Violations.UsesExecutor.class),
                Arguments.of("NO_THREADS_OR_LOCKS", Violations.UsesLock.class),
                Arguments.of("NO_CLOCKS", Violations.UsesClock.class),
                Arguments.of("NO_CLOCKS", Violations.CallsCurrentTimeMillis.class),
                Arguments.of("NO_CLOCKS", Violations.CallsNanoTime.class),
                Arguments.of("NO_CLOCKS", Violations.CallsInstantNow.class),
                Arguments.of("NO_CLOCKS", Violations.CallsLocalDateTimeNow.class),
                Arguments.of("NO_RANDOMNESS", Violations.UsesRandom.class),
                Arguments.of("NO_FLOATING_POINT", Violations.HasDoubleField.class),
                Arguments.of("NO_FLOATING_POINT", Violations.HasBoxedFloatField.class),
                Arguments.of("NO_FLOATING_POINT", Violations.TakesFloat.class),
                Arguments.of("NO_FLOATING_POINT", Violations.ReturnsDoubleArray.class),
                Arguments.of("NO_FLOATING_POINT", Violations.ConstructorTakesDouble.class));
    }

    @ParameterizedTest(name = "{0} catches {1}")
    @MethodSource("violations")
    void everyRuleCatchesItsViolation(String rule, Class<?> violation) {
        JavaClasses imported = new ClassFileImporter().importClasses(violation);
        assertThat(RULES.get(rule).evaluate(imported).hasViolation())
                .as("%s should fail on %s", rule, violation.getSimpleName()).isTrue();
        // And only that rule: the fixture breaks one thing, so the failure above is for the right reason.
        RULES.forEach((name, other) -> {
            if (!name.equals(rule)) {
                assertThat(other.evaluate(imported).hasViolation()).as("%s on %s", name, violation.getSimpleName()).isFalse();
            }
        });
    }

    @Test
    void nothingAllowedIsCaught() {
        JavaClasses imported = new ClassFileImporter().importClasses(Violations.Allowed.class);
        RULES.forEach((name, rule) -> assertThat(rule.evaluate(imported).getFailureReport().getDetails())
                .as("%s on Allowed", name).isEmpty());
    }

    // ---- conditions ----------------------------------------------------------------------------

    private static DescribedPredicate<JavaMethodCall> staticNowOfJavaTime() {
        return DescribedPredicate.describe("a now() of java.time",
                call -> call.getTargetOwner().getPackageName().equals("java.time") && call.getName().equals("now"));
    }

    private static final Set<String> FLOATING_POINT = Set.of("float", "double", "java.lang.Float", "java.lang.Double");

    private static boolean isFloatingPoint(JavaClass type) {
        JavaClass base = type.isArray() ? type.getBaseComponentType() : type;
        return FLOATING_POINT.contains(base.getName());
    }

    private static ArchCondition<JavaClass> haveNoFloatingPointInSignatures() {
        return new ArchCondition<>("have no float or double fields, parameters or return types") {
            @Override
            public void check(JavaClass javaClass, ConditionEvents events) {
                for (JavaField field : javaClass.getFields()) {
                    if (isFloatingPoint(field.getRawType())) {
                        events.add(SimpleConditionEvent.violated(field, field.getFullName() + " is " + field.getRawType().getName()));
                    }
                }
                for (JavaCodeUnit code : javaClass.getCodeUnits()) {
                    List<JavaClass> types = new java.util.ArrayList<>(code.getRawParameterTypes());
                    types.add(code.getRawReturnType());
                    for (JavaClass type : types) {
                        if (isFloatingPoint(type)) {
                            events.add(SimpleConditionEvent.violated(code, code.getFullName() + " uses " + type.getName()));
                        }
                    }
                }
            }
        };
    }
}
