"""The channel-layer groups this lesson's consumer joins and its receivers send to.

A group is a name that many connections join; group_send() reaches all of them, in every
server process that shares the channel layer. Group names are ASCII letters, digits, hyphens,
underscores and periods, shorter than 100 characters: the layer raises TypeError on anything
else (a space, a colon, an email address). So a group is named after a user's primary key,
never their username or email.
"""

# Every logged-in connection: price changes are news for everyone.
PRICES = "prices"


def for_user(user_id):
    """The group of one user's connections (every tab they have open): "user.42"."""
    return f"user.{user_id}"
