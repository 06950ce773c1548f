"""update (PATCH) and soft_delete sync modes, and preset mappings, against the emulator."""
from sense_testing.destination_harness import catalog, config_for, configured_stream, global_state, record, run_write


def _seed(emulator, tmp_path, count=6):
    messages = [record("candidates", {"id": i, "first_name": f"First{i}", "last_name": f"Last{i}", "status": "Active"}) for i in range(count)]
    result = run_write(tmp_path, config_for(emulator), catalog("candidates"), messages + [global_state(0)])
    assert result.returncode == 0, result.stdout[-2000:]


def test_update_patches_only_the_fields_present_in_order(sense_emulator, tmp_path):
    _seed(sense_emulator, tmp_path)
    messages = [
        record("candidate_changes", {"id": 1, "status": "Placed"}),
        record("candidate_changes", {"id": 2, "last_name": "Changed", "date_last_modified": 1700000000}),
        record("candidate_changes", {"id": 1, "status": "Inactive"}),  # same id: applied after the first
        record("candidate_changes", {"id": 99, "status": "Ghost"}),  # unknown in Sense
        global_state(1),
    ]
    cat = catalog(configured_stream("candidate_changes", destination_object_name="candidates", destination_sync_mode="update"))
    result = run_write(tmp_path, config_for(sense_emulator, epoch_unit="seconds"), cat, messages)
    assert result.returncode == 0, result.stdout[-2000:]
    stored = sense_emulator.admin.entities_by_id("candidates")
    assert stored["1"]["status"] == "Inactive" and stored["1"]["first_name"] == "First1"
    assert stored["2"]["last_name"] == "Changed" and stored["2"]["first_name"] == "First2"
    assert stored["2"]["date_last_modified"] == "2023-11-14T22:13:20+00:00"
    assert "99" not in stored
    patches = [r for r in sense_emulator.admin.requests() if r["method"] == "PATCH"]
    assert len(patches) == 4
    assert result.states[0]["destinationStats"] == {"recordCount": 3.0, "rejectedRecordCount": 1.0}
    assert any("record #4 (id '99')" in line and "existing entity" in line for line in result.logs)


def test_soft_delete_marks_entities_deleted_in_batches(sense_emulator, tmp_path):
    _seed(sense_emulator, tmp_path)
    messages = [record("gone", {"id": i}) for i in (0, 3, 5)] + [global_state(1)]
    cat = catalog(configured_stream("gone", destination_object_name="Candidate", destination_sync_mode="soft_delete"))
    result = run_write(tmp_path, config_for(sense_emulator), cat, messages)
    assert result.returncode == 0, result.stdout[-2000:]
    stored = sense_emulator.admin.entities_by_id("candidates")
    assert {k for k, v in stored.items() if v.get("is_deleted")} == {"0", "3", "5"}
    posts = [r for r in sense_emulator.admin.requests() if r["method"] == "POST" and r.get("collection")]
    assert posts[-1]["records"] == 3  # one request for the three deletes


def test_bullhorn_preset_maps_source_ats_records(sense_emulator, tmp_path):
    messages = [
        record("corporate_users", {"id": 7, "firstName": "Ace", "lastName": "Owner", "email": "ace@x.example", "dateLastModified": 1700000000000}),
        record("candidates", {"id": 11, "firstName": "Linus", "lastName": "Kerns", "owner": {"id": 7, "firstName": "Ace"},
                              "dateAdded": 1700000000000, "customText1": "east", "isDeleted": False, "unknownThing": 5}),
        global_state(1),
    ]
    config = config_for(sense_emulator, source_preset="bullhorn")
    result = run_write(tmp_path, config, catalog("corporate_users", "candidates"), messages)
    assert result.returncode == 0, result.stdout[-3000:]
    user = sense_emulator.admin.entities_by_id("internal-users")["7"]
    assert user["first_name"] == "Ace" and user["date_last_modified"].startswith("2023-11-14T22:13:20")
    candidate = sense_emulator.admin.entities_by_id("candidates")["11"]
    assert candidate["first_name"] == "Linus" and candidate["internal_user_id"] == "7"
    assert candidate["custom_text1"] == "east" and candidate["is_deleted"] is False
    assert candidate["date_added"].startswith("2023-11-14T22:13:20")
    assert sense_emulator.admin.dangling()["total"] == 0


def test_a_refresh_is_written_as_upserts(sense_emulator, tmp_path):
    """metadata.yaml says supportsRefreshes: a refresh's catalog carries generation ids; every record is upserted."""
    _seed(sense_emulator, tmp_path, count=3)
    refresh = configured_stream("candidates", generation_id=4, minimum_generation_id=4, sync_id=17)
    messages = [record("candidates", {"id": i, "first_name": f"Again{i}", "last_name": f"Last{i}"}) for i in (1, 2, 7)] + [global_state(2)]
    result = run_write(tmp_path, config_for(sense_emulator), catalog(refresh), messages)
    assert result.returncode == 0, result.stdout[-2000:]
    (state,) = result.states
    assert state["destinationStats"]["recordCount"] == 3
    stored = sense_emulator.admin.entities_by_id("candidates")
    assert {stored[i]["first_name"] for i in ("1", "2", "7")} == {"Again1", "Again2", "Again7"}
    assert stored["0"]["first_name"] == "First0"  # Sense has no truncate: records of earlier generations stay
