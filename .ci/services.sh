# Sourced by .ci/run: make sure the local servers the scale-out tier uses are up, and point the
# tier at them. These machines start them at boot; start again whatever has stopped.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

port_open 6379 || redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
port_open 5672 || rabbitmq-server -detached || true
port_open 5432 || pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
for _ in $(seq 60); do
    port_open 6379 && port_open 5672 && port_open 5432 && break
    sleep 1
done

export WORKSHOP_SCALEOUT_REDIS_URL="redis://127.0.0.1:6379"
export WORKSHOP_SCALEOUT_AMQP_URL="amqp://guest:guest@127.0.0.1:5672//"
export WORKSHOP_SCALEOUT_DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
