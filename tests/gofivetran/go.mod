module iterable-connections/tests/gofivetran

go 1.21

require github.com/fivetran/go-fivetran v1.3.5
