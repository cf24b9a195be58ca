"""Check that Python ops' pebble.Client (ops 3.9) works against a running pebble-sim.

Usage: python check_ops_client.py SOCKET_PATH
Exits non-zero if any method fails; prints one line per method.
"""

import io
import sys
import traceback

from ops import pebble

LAYER = """
summary: test layer
services:
  web:
    override: replace
    command: /bin/web --port 8080
    startup: enabled
  worker:
    override: replace
    command: /bin/worker
checks:
  up:
    override: replace
    level: alive
    http:
      url: http://localhost:8080/
"""

results = []


def check(name, fn):
    try:
        fn()
        results.append((name, True, ""))
        print(f"PASS {name}")
    except Exception as e:  # noqa: BLE001 - report every failure
        results.append((name, False, repr(e)))
        print(f"FAIL {name}: {e!r}")
        traceback.print_exc()


def main(socket_path):
    c = pebble.Client(socket_path=socket_path)

    def system_info():
        info = c.get_system_info()
        assert info.version.startswith("v1."), info

    def add_layer():
        c.add_layer("base", LAYER)
        try:
            c.add_layer("base", LAYER)
            raise AssertionError("duplicate label accepted")
        except pebble.APIError as e:
            assert e.code == 400 and "already exists" in e.message, e
        c.add_layer("base", "services:\n  web:\n    override: merge\n    environment:\n      A: B\n", combine=True)

    def get_plan():
        plan = c.get_plan()
        assert set(plan.services) == {"web", "worker"}, plan.services
        assert plan.services["web"].environment == {"A": "B"}, plan.services["web"]
        assert "up" in plan.checks

    def autostart():
        c.autostart_services()
        svcs = {s.name: s for s in c.get_services()}
        assert svcs["web"].is_running() and not svcs["worker"].is_running(), svcs

    def start_stop_restart():
        c.start_services(["worker"])
        assert c.get_services(["worker"])[0].is_running()
        c.restart_services(["worker"])
        c.stop_services(["worker"])
        assert not c.get_services(["worker"])[0].is_running()
        try:
            c.start_services(["nope"])
            raise AssertionError("unknown service accepted")
        except pebble.APIError as e:
            assert e.code == 400 and 'service "nope" does not exist' in e.message, e

    def replan():
        c.replan_services()

    def changes():
        chs = c.get_changes(select=pebble.ChangeState.READY)
        assert chs and all(x.ready for x in chs), chs
        assert any(x.kind == "perform-check" for x in c.get_changes()), "no in-progress check change"
        auto = [x for x in chs if x.kind == "autostart"]
        assert auto and auto[0].summary == 'Autostart service "web"', auto
        ch = c.get_change(auto[0].id)
        assert ch.ready and ch.status == "Done", ch
        done = c.wait_change(auto[0].id, timeout=2)
        assert done.ready
        try:
            c.abort_change(auto[0].id)
            raise AssertionError("abort of a ready change accepted")
        except pebble.APIError as e:
            assert "nothing pending" in e.message, e

    def files():
        c.push("/etc/app/conf.txt", "hello", make_dirs=True, permissions=0o600)
        assert c.pull("/etc/app/conf.txt").read() == "hello"
        c.push("/etc/app/bin.dat", io.BytesIO(b"\x00\x01"))
        assert c.pull("/etc/app/bin.dat", encoding=None).read() == b"\x00\x01"
        try:
            c.pull("/nope")
            raise AssertionError("missing file pulled")
        except pebble.PathError as e:
            assert e.kind == "not-found", e
        entries = c.list_files("/etc/app", pattern="*.txt")
        assert [f.name for f in entries] == ["conf.txt"], entries
        assert entries[0].permissions == 0o600, entries[0]
        c.make_dir("/srv/data/x", make_parents=True)
        assert c.list_files("/srv/data", itself=True)[0].type == pebble.FileType.DIRECTORY
        c.remove_path("/srv", recursive=True)
        try:
            c.list_files("/srv")
            raise AssertionError("removed dir listed")
        except pebble.APIError as e:
            assert e.code == 404, e

    def checks():
        infos = c.get_checks()
        assert [i.name for i in infos] == ["up"], infos
        assert infos[0].status == pebble.CheckStatus.UP, infos[0]
        assert c.stop_checks(["up"]) == ["up"]
        assert c.get_checks(names=["up"])[0].status == pebble.CheckStatus.INACTIVE
        assert c.start_checks(["up"]) == ["up"]
        assert c.start_checks(["up"]) == []

    def send_signal():
        c.send_signal("SIGHUP", ["web"])

    def notices():
        nid = c.notify(pebble.NoticeType.CUSTOM, "example.com/ready", data={"a": "b"})
        n = c.get_notice(nid)
        assert n.key == "example.com/ready" and n.last_data == {"a": "b"}, n
        ns = c.get_notices(types=[pebble.NoticeType.CUSTOM], keys=["example.com/ready"])
        assert [x.id for x in ns] == [nid], ns
        all_ns = c.get_notices(users=pebble.NoticesUsers.ALL)
        assert any(x.type == pebble.NoticeType.CHANGE_UPDATE for x in all_ns), all_ns

    def identities():
        c.replace_identities({"bob": {"access": "read", "local": {"user-id": 42}}})
        ids = c.get_identities()
        assert ids["bob"].access == "read" and ids["bob"].local.user_id == 42, ids
        c.remove_identities({"bob"})
        assert "bob" not in c.get_identities()

    def exec_():
        # Needs `pebble-sim serve --real-exec`: echo, cat and sh run as real processes.
        out, err = c.exec(["echo", "hello", "world"]).wait_output()
        assert out == "hello world\n" and err == "", (out, err)
        data = "line\n" * 100_000
        out, _ = c.exec(["cat"], stdin=data).wait_output()
        assert out == data, len(out)
        out, _ = c.exec(["/bin/sh", "-c", "echo $GREETING"], environment={"GREETING": "hi"}).wait_output()
        assert out == "hi\n", out
        try:
            c.exec(["/bin/sh", "-c", "echo out; echo err >&2; exit 3"]).wait_output()
            raise AssertionError("non-zero exit accepted")
        except pebble.ExecError as e:
            assert e.exit_code == 3 and e.stdout == "out\n" and e.stderr == "err\n", e
        out, err = c.exec(["/bin/sh", "-c", "echo out; echo err >&2"], combine_stderr=True).wait_output()
        assert out == "out\nerr\n" and err is None, (out, err)
        proc = c.exec(["sleep", "30"])
        proc.send_signal("SIGTERM")
        try:
            proc.wait()
            raise AssertionError("signalled sleep exited 0")
        except pebble.ExecError as e:
            assert e.exit_code == 143, e
        try:
            c.exec(["sleep", "30"], timeout=0.2).wait()
            raise AssertionError("timeout not enforced")
        except pebble.ChangeError as e:
            assert "timed out" in e.err, e
        try:
            c.exec(["no-such-command-xyz"])
            raise AssertionError("missing executable accepted")
        except pebble.APIError as e:
            assert e.code == 400 and "cannot find executable" in e.message, e

    def health():
        # ops 3.9 has no health method; checks cover it.
        pass

    check("get_system_info", system_info)
    check("add_layer", add_layer)
    check("get_plan", get_plan)
    check("autostart_services+get_services", autostart)
    check("start/stop/restart_services", start_stop_restart)
    check("replan_services", replan)
    check("get_changes/get_change/wait_change/abort_change", changes)
    check("push/pull/list_files/make_dir/remove_path", files)
    check("get_checks/start_checks/stop_checks", checks)
    check("send_signal", send_signal)
    check("notify/get_notice/get_notices", notices)
    check("get_identities/replace_identities/remove_identities", identities)
    check("exec", exec_)

    failed = [r for r in results if not r[1]]
    print(f"{len(results) - len(failed)}/{len(results)} passed")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
