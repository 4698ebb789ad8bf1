"""Exchange with other open formats: FollowTheMoney export, OpenSanctions FtM and BODS import."""
