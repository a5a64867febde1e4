"""db_hosts (several database nodes) on the single-node stack, and the schema rules a Galera
cluster needs. The cluster itself is exercised by tests/galera."""
import lib


def test_first_node_that_answers_is_used(stack):
    """A front whose db_hosts starts with a node that is down serves from the next one."""
    dead = "127.0.0.1:%d" % lib.free_port()
    sock = stack.sql("SELECT @@socket")[0][0]
    front = lib.Front(stack, {"db_hosts": "%s, %s" % (dead, sock)})
    try:
        _account, key = stack.new_account("db hosts")
        r = front.request("POST", "/v2/locations", {"name": "Failover"}, key=key)
        assert r.status == 201, r
        r = front.request("GET", "/v2/locations/" + r.json["id"], key=key)
        assert r.status == 200 and r.json["name"] == "Failover", r
    finally:
        front.close()


def test_all_nodes_down_answers_503(stack):
    dead = ["127.0.0.1:%d" % lib.free_port() for _ in range(2)]
    front = lib.Front(stack, {"db_hosts": ",".join(dead)}, wait=False)
    try:
        _account, key = stack.new_account("db hosts down")
        r = front.request("GET", "/v2/locations", key=key)
        assert r.status == 503 and r.json["errorCode"] == "database_unavailable", r
    finally:
        front.close()


def test_bad_db_hosts_stops_the_program(stack):
    p = stack.api(["print-config"], check=False, env={"WH_DB_HOSTS": "127.0.0.1:3306,no-port"})
    assert p.returncode != 0 and "db_hosts: 'no-port'" in p.stderr, p.stderr


def test_every_table_has_a_primary_key(stack):
    """Galera replicates rows by primary key: a table without one can't be used safely."""
    rows = stack.sql("SELECT t.TABLE_NAME FROM information_schema.TABLES t LEFT JOIN "
                     "information_schema.TABLE_CONSTRAINTS c ON c.TABLE_SCHEMA = t.TABLE_SCHEMA AND "
                     "c.TABLE_NAME = t.TABLE_NAME AND c.CONSTRAINT_TYPE = 'PRIMARY KEY' "
                     "WHERE t.TABLE_SCHEMA = 'linehook' AND c.CONSTRAINT_NAME IS NULL")
    assert rows == [], "tables without a primary key: %r" % rows
    engines = stack.sql("SELECT DISTINCT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'linehook'")
    assert engines == [["InnoDB"]], engines
