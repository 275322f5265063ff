

def test_a_password_set_on_the_command_line_wins_over_the_one_written_in_the_file(write_config, source_dir):
    path = write_config(_job_yaml(source_dir, "    password: 0123\n"))
    assert load_run_config(str(path), ["j.password=0456"]).jobs[0].password == "0456"
