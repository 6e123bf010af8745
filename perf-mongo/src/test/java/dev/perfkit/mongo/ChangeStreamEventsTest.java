package dev.perfkit.mongo;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.model.changestream.TruncatedArray;
import com.mongodb.client.model.changestream.UpdateDescription;
import java.util.List;
import java.util.function.Function;
import org.bson.BsonDocument;
import org.bson.BsonDocumentReader;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.Document;
import org.bson.codecs.DecoderContext;
import org.bson.codecs.DocumentCodec;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;

/** What each kind of change event means to the cached reads (ChangeStreamInvalidator.translate). */
class ChangeStreamEventsTest {
    private static final Function<BsonDocument, Document> DECODE = key -> new DocumentCodec()
            .decode(new BsonDocumentReader(key), DecoderContext.builder().build());
    private static final ObjectId ID = new ObjectId("65f0a1b2c3d4e5f607182930");
    private static final BsonDocument KEY = new Document("_id", ID).toBsonDocument();

    private static ChangeStreamInvalidator.Change translate(
            String type, BsonDocument key, Document full, UpdateDescription description) {
        return ChangeStreamInvalidator.translate(
                ChangeStreamDifferentialTest.event(type, key, full, description), DECODE);
    }

    @Test
    void update_namesItsDocumentAndEveryPrefixOfTheFieldsItChanged() {
        UpdateDescription description = new UpdateDescription(
                List.of("tmp"),
                new BsonDocument("balance", new BsonInt32(5)).append("profile.name", new BsonString("x")),
                List.of(new TruncatedArray("items", 2)));
        ChangeStreamInvalidator.Change change = translate("update", KEY, null, description);
        assertThat(change.effect().kind()).isEqualTo(ReadIndex.EffectKind.UPDATE);
        assertThat(change.effect().filter()).isEqualTo(new Document("_id", ID));
        assertThat(change.touched()).containsExactlyInAnyOrder("balance", "profile", "profile.name", "tmp", "items");
        assertThat(change.effect().touched()).isEqualTo(change.touched());
        assertThat(change.reopen()).isFalse();
    }

    @Test
    void update_withoutDescription_mayHaveChangedEveryField() {
        ChangeStreamInvalidator.Change change = translate("update", KEY, null, null);
        assertThat(change.effect().kind()).isEqualTo(ReadIndex.EffectKind.UPDATE);
        assertThat(change.effect().touched()).isNull();
        assertThat(change.touched()).isNull();
    }

    @Test
    void shardedDocumentKey_onlyItsIdCounts() {
        BsonDocument key = new Document("region", "eu").append("_id", 42).toBsonDocument();
        ChangeStreamInvalidator.Change change = translate("delete", key, null, null);
        assertThat(change.effect().kind()).isEqualTo(ReadIndex.EffectKind.DELETE);
        assertThat(change.effect().filter()).isEqualTo(new Document("_id", 42));
    }

    @Test
    void insert_isJudgedByItsDocument_orAsAReplacementWhenTheDocumentIsMissing() {
        Document inserted = new Document("_id", ID).append("g", 1);
        ChangeStreamInvalidator.Change withDocument = translate("insert", KEY, inserted, null);
        assertThat(withDocument.effect().kind()).isEqualTo(ReadIndex.EffectKind.INSERT);
        assertThat(withDocument.effect().inserted()).containsExactly(inserted);

        ChangeStreamInvalidator.Change without = translate("insert", KEY, null, null);
        assertThat(without.effect().kind()).isEqualTo(ReadIndex.EffectKind.UPDATE);
        assertThat(without.effect().touched()).isNull();
    }

    @Test
    void replace_mayHaveChangedEveryField() {
        ChangeStreamInvalidator.Change change = translate("replace", KEY, null, null);
        assertThat(change.effect().kind()).isEqualTo(ReadIndex.EffectKind.UPDATE);
        assertThat(change.effect().filter()).isEqualTo(new Document("_id", ID));
        assertThat(change.effect().touched()).isNull();
    }

    @Test
    void eventsThatDoNotNameTheirDocument_orOfUnknownKinds_changeEverything() {
        // The embedded server's update events carry the update, not the _id, as their key.
        BsonDocument notAKey = new Document("$inc", new Document("x", 1)).toBsonDocument();
        for (ChangeStreamInvalidator.Change change : List.of(
                translate("update", notAKey, null, null),
                translate("delete", null, null, null),
                translate("replace", new BsonDocument(), null, null),
                translate("drop", null, null, null),
                translate("rename", null, null, null),
                translate("dropDatabase", null, null, null),
                translate("createIndexes", null, null, null),
                translate("somethingNew", KEY, null, null))) {
            assertThat(change.effect().kind()).isEqualTo(ReadIndex.EffectKind.ALL);
            assertThat(change.reopen()).isFalse();
        }
    }

    @Test
    void invalidate_changesEverythingAndReopensTheStream() {
        ChangeStreamInvalidator.Change change = translate("invalidate", null, null, null);
        assertThat(change.effect().kind()).isEqualTo(ReadIndex.EffectKind.ALL);
        assertThat(change.reopen()).isTrue();
    }

    @Test
    void keyThatCannotBeDecoded_changesEverything() {
        ChangeStreamInvalidator.Change change = ChangeStreamInvalidator.translate(
                ChangeStreamDifferentialTest.event("delete", KEY, null, null), key -> {
                    throw new IllegalStateException("no codec");
                });
        assertThat(change.effect().kind()).isEqualTo(ReadIndex.EffectKind.ALL);
    }
}
